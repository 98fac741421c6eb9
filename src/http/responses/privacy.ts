import { z } from 'zod';

const record = z.object({ type: z.enum(['lead', 'customerProfile', 'opportunity']), id: z.string() });

export const erasureResult = z.object({
  status: z.enum(['ERASED', 'ALREADY_ERASED']),
  subjects: z.array(z.object({ subject_id: z.string(), erased_now: z.boolean() })),
  records: z.array(record).meta({ description: 'Every record that held the person\'s data; each now reads as erased' }),
  position: z.string().nullable().meta({ description: 'Pass as min_position to read the scrubbed read models' }),
});

export const subjectLookup = z.object({
  subjects: z.array(z.object({ subject_id: z.string(), erased_at: z.string().nullable() })),
});

export const subjectExportBody = z.object({
  tenant_id: z.string(),
  generated_at: z.string(),
  subjects: z.array(z.object({ subject_id: z.string(), created_at: z.string(), erased_at: z.string().nullable(), streams: z.array(z.string()) })),
  events: z.array(z.record(z.string(), z.unknown())),
  read_models: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
});
