import type { z } from 'zod';
import { ValidationError } from './errors';

/** Parses a request part with a zod schema, or throws a ValidationError naming each field and the reason. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw ValidationError.fromZod(result.error, prefix);
  return result.data;
}
