/**
 * A character-level tokenizer for synthetic tasks, expressed as a standard `tokenizer.json` so that
 * @huggingface/tokenizers, Python `tokenizers` and transformers all load it: a BPE model with one
 * vocabulary entry per character and no merges, a Split pre-tokenizer that isolates every
 * character, and a Fuse decoder (ids decode to the characters concatenated, with no spaces added).
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.ts';

export const CHAR_PAD = '<pad>';
export const CHAR_UNK = '<unk>';
export const CHAR_EOS = '<|endoftext|>';
export const CHAR_IM_START = '<|im_start|>';
export const CHAR_IM_END = '<|im_end|>';
/** Special tokens take ids 0..4 in this order. */
export const CHAR_SPECIAL_TOKENS = [CHAR_PAD, CHAR_UNK, CHAR_EOS, CHAR_IM_START, CHAR_IM_END];

/** Printable ASCII (space through '~': digits, letters, operators, punctuation) and newline. */
export const DEFAULT_CHARSET =
  '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

/** ChatML, as Qwen uses, so chat-formatted synthetic prompts look like the real thing. */
const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface CharTokenizerFiles {
  tokenizer: object;
  tokenizerConfig: object;
  generationConfig: object;
  vocabSize: number;
}

/** The three JSON files of a character tokenizer over `charset` (unique characters; special tokens first). */
export function charTokenizerFiles(charset: string = DEFAULT_CHARSET): CharTokenizerFiles {
  const chars = [...new Set(Array.from(charset))];
  const clash = chars.find((c) => CHAR_SPECIAL_TOKENS.includes(c));
  if (clash !== undefined)
    throw new Error(`charset character ${JSON.stringify(clash)} collides with a special token`);
  const vocab: Record<string, number> = {};
  [...CHAR_SPECIAL_TOKENS, ...chars].forEach((token, id) => (vocab[token] = id));
  const addedTokens = CHAR_SPECIAL_TOKENS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: '.|\\n' }, behavior: 'Isolated', invert: false },
    post_processor: null,
    decoder: { type: 'Fuse' },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: CHAR_UNK,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
  const addedTokensDecoder = Object.fromEntries(addedTokens.map(({ id, ...rest }) => [String(id), rest]));
  const tokenizerConfig = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    added_tokens_decoder: addedTokensDecoder,
    bos_token: null,
    eos_token: CHAR_EOS,
    pad_token: CHAR_PAD,
    unk_token: CHAR_UNK,
    additional_special_tokens: [CHAR_IM_START, CHAR_IM_END],
    clean_up_tokenization_spaces: false,
    model_max_length: 1_000_000,
    chat_template: CHAT_TEMPLATE,
  };
  const generationConfig = {
    eos_token_id: [vocab[CHAR_EOS], vocab[CHAR_IM_END]],
    pad_token_id: vocab[CHAR_PAD],
  };
  return {
    tokenizer,
    tokenizerConfig,
    generationConfig,
    vocabSize: CHAR_SPECIAL_TOKENS.length + chars.length,
  };
}

/** Writes tokenizer.json, tokenizer_config.json and generation_config.json of a character tokenizer into `dir`. */
export function writeCharTokenizer(dir: string, charset?: string): CharTokenizerFiles {
  const files = charTokenizerFiles(charset);
  writeFileAtomic(join(dir, 'tokenizer.json'), JSON.stringify(files.tokenizer, null, 2) + '\n');
  writeFileAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(files.tokenizerConfig, null, 2) + '\n');
  writeFileAtomic(
    join(dir, 'generation_config.json'),
    JSON.stringify(files.generationConfig, null, 2) + '\n',
  );
  return files;
}
