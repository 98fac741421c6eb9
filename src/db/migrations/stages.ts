import type { Migration } from './index.js';

/** Migrations of the pipeline stage configuration read models; names start with '0500_'. */
export const stageMigrations: readonly Migration[] = [];
