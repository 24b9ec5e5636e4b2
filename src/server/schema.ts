/**
 * JSON schemas of the request bodies: types and ranges of every field this server reads. fastify
 * checks them (ajv, no coercion) before a handler runs; http.ts turns a failure into a 400 naming
 * the field. `prompt` is checked in code (validate.ts, limits.ts): its limits depend on the model
 * and must be checked before anything is built from it.
 */
const nullable = (type: string, extra: object = {}) => ({ type: [type, 'null'], ...extra });
const integer = (minimum: number, maximum = Number.MAX_SAFE_INTEGER) =>
  nullable('integer', { minimum, maximum });

const stop = {
  description: 'a string or a list of strings',
  anyOf: [{ type: 'string' }, { type: 'array', maxItems: 64, items: { type: 'string' } }, { type: 'null' }],
};

/** Fields both endpoints read. */
const sampling = {
  model: { type: 'string' },
  n: integer(1, 256),
  best_of: integer(1, 256),
  max_tokens: integer(0),
  max_completion_tokens: integer(1),
  temperature: nullable('number', { minimum: 0 }),
  top_p: nullable('number', { exclusiveMinimum: 0, maximum: 1 }),
  // vLLM's extension: -1 (its default) and 0 turn top-k off.
  top_k: integer(-1),
  seed: integer(0),
  stop,
  stream: nullable('boolean'),
  presence_penalty: nullable('number'),
  frequency_penalty: nullable('number'),
  repetition_penalty: nullable('number'),
  logit_bias: nullable('object'),
  // vLLM's extensions
  return_tokens_as_token_ids: nullable('boolean'),
  ignore_eos: nullable('boolean'),
};

export const completionsBody = {
  type: 'object',
  required: ['prompt'],
  properties: {
    ...sampling,
    prompt: {},
    logprobs: integer(0, 20),
    echo: nullable('boolean'),
    suffix: nullable('string'),
  },
};

const textPart = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text: { type: 'string' } },
};

/** `maxMessages`: a conversation with more messages than context tokens cannot fit. */
export function chatCompletionsBody(maxMessages: number): object {
  return {
    type: 'object',
    required: ['messages'],
    properties: {
      ...sampling,
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: maxMessages,
        items: {
          type: 'object',
          required: ['role', 'content'],
          properties: {
            role: { enum: ['system', 'user', 'assistant'] },
            content: {
              description: 'a string or a list of {"type": "text", "text": ...} parts',
              anyOf: [{ type: 'string' }, { type: 'array', items: textPart }],
            },
          },
        },
      },
      logprobs: nullable('boolean'),
      top_logprobs: integer(0, 20),
    },
  };
}
