import { z } from 'zod';

/**
 * The shapes of successful answers, for the OpenAPI document (clients are generated from it).
 * The DTO functions that build the answers are typed with these (`z.input<typeof …>`), so an
 * answer cannot drift from what the document says without the compiler noticing.
 */
export const instant = z.string().meta({ format: 'date-time' });
export const date = z.string().meta({ format: 'date', example: '2026-04-30' });
export const money = z.string().meta({ pattern: '^\\d{1,16}\\.\\d{2}$', example: '120000.00', description: 'exact decimal, never a float' });
export const ratio = z.string().meta({ pattern: '^\\d+\\.\\d+$', example: '0.6250' });
export const nullable = <T extends z.ZodType>(t: T) => t.nullable();

export const paginationBody = z.object({
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  has_more: z.boolean(),
});

/** Seed 004's list envelope. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), pagination: paginationBody });

/** What every command answer adds: the stream revision (also the ETag) and the position it wrote. */
export const written = {
  revision: z.string().meta({ description: 'stream revision after the command; also the ETag' }),
  position: nullable(z.string()).meta({ description: 'log position written, for ?min_position= (read-your-writes)', example: '812/4051' }),
};

/** A command answer's shape before the handler adds revision and position. */
export type Unwritten<T extends z.ZodType> = Omit<z.input<T>, keyof typeof written>;

export const historyEntryBody = z.looseObject({
  event_id: z.string(),
  event_type: z.string(),
  revision: z.string(),
  timestamp: instant,
  actor: z.string().meta({ description: 'user id, apikey:<id> or system:<name>' }),
  api_key_id: z.string().optional(),
  correlation_id: z.string(),
  causation_id: nullable(z.string()),
  changes: z.unknown(),
});

export const historyBody = z.object({ id: z.string(), data: z.array(historyEntryBody) });
