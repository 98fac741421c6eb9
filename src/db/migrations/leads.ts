import type { Migration } from './index.js';

/** Migrations of the leads read models; names start with '0300_'. */
export const leadMigrations: readonly Migration[] = [];
