import type { Migration } from './index.js';

/** Migrations of the forecasts read models; names start with '0400_'. */
export const forecastMigrations: readonly Migration[] = [];
