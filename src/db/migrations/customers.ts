import type { Migration } from './index.js';

/** Migrations of the Customer 360 (profiles, consents, merges) read models; names start with '0200_'. */
export const customerMigrations: readonly Migration[] = [];
