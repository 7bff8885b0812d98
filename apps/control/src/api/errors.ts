import {
  ConflictError,
  InvalidInputError,
  InvalidTransitionError,
  isUnavailable,
  NotFoundError,
} from '@loadline/metadata';
import { HttpProblem } from '../problem.js';

/** A store error as the problem it means: unknown → 404, bad input → 422, outage → 503. */
export function problemOf(error: unknown): unknown {
  if (error instanceof HttpProblem) return error;
  if (error instanceof NotFoundError) return new HttpProblem(404, 'not found', error.message);
  if (error instanceof InvalidInputError) {
    return new HttpProblem(422, 'invalid input', error.message, { errors: error.issues });
  }
  if (error instanceof InvalidTransitionError || error instanceof ConflictError)
    return new HttpProblem(409, 'conflict', error.message);
  if (isUnavailable(error)) {
    return new HttpProblem(
      503,
      'storage unavailable',
      'a database did not answer; try again shortly',
      {
        retryable: true,
      },
    );
  }
  return error;
}

/** Runs a handler's work with store errors turned into problems. */
export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw problemOf(error);
  }
}

/** A 422 naming one field of the query or body. */
export function fieldProblem(title: string, field: string, detail: string, message: string) {
  return new HttpProblem(422, title, detail, { errors: [{ field, message }] });
}
