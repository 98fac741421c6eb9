import type { Migration } from './index.js';

/** Migrations of the Kafka bridge (inbox, dead letters...), applied after the core ones. */
export const kafkaMigrations: readonly Migration[] = [];
