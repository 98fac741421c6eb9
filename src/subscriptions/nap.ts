/**
 * A pause that wake() cuts short, for loops that poll but can be told to look now. A wake while
 * the loop is busy is kept for its next pause. (No AbortSignal.any per pause: these loops pause
 * every few milliseconds for as long as the service runs.)
 */
export interface Nap {
  pause(ms: number): Promise<void>;
  wake(): void;
}

export function nap(): Nap {
  let cut: (() => void) | undefined;
  let pending = false;
  return {
    pause(ms) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          cut = undefined;
          resolve();
        }
        cut = done;
      });
    },
    wake() {
      if (cut) cut();
      else pending = true;
    },
  };
}
