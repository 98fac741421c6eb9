const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The due day of a task a workflow creates: `days` calendar days (UTC) after the triggering
 * event's time, due at the end of that day (a `YYYY-MM-DD` task due date). A workflow that runs
 * so late that this day is over (catching up after an outage, a first run over history) makes it
 * the day after it runs instead: a task is never created overdue, which its decider refuses.
 */
export function dueDay(from: string, days: number, now: Date): string {
  const due = dayOf(Date.parse(from) + days * DAY_MS);
  const endOfDue = Date.parse(`${due}T00:00:00.000Z`) + DAY_MS - 1;
  return endOfDue > now.getTime() ? due : dayOf(now.getTime() + DAY_MS);
}
