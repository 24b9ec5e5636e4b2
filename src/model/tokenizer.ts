/**
 * A model directory's tokenizer: `tokenizer.json` through @huggingface/tokenizers, special tokens
 * and the chat template from `tokenizer_config.json`, EOS ids from `generation_config.json` /
 * `config.json` / the tokenizer's `eos_token`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors.ts';
import { type ChatMessage, renderChatTemplate } from './chatTemplate.ts';

/** `tokenizer_config.json`: the fields read here (special tokens may be strings or AddedToken objects). */
export interface TokenizerConfig {
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  chat_template?: string | Array<{ name: string; template: string }> | null;
  [key: string]: unknown;
}

export interface TokenizerFiles {
  /** Parsed `tokenizer.json`. */
  tokenizer: object;
  /** Parsed `tokenizer_config.json` ({} if absent). */
  config: TokenizerConfig;
  /** `eos_token_id` from `generation_config.json`, else from `config.json` (number, list, or absent). */
  eosTokenId?: unknown;
  /** Where these came from, for error messages. */
  source: string;
}

export class Tokenizer {
  readonly eosTokenIds: number[];
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  /** Size of the id space: one more than the largest id (model vocab and added tokens). */
  readonly vocabSize: number;
  readonly specialTokenIds: ReadonlySet<number>;
  readonly chatTemplate: string | null;
  private readonly hf: HfTokenizer;
  private readonly specialTokenStrings: Record<string, string | null>;

  constructor(private readonly files: TokenizerFiles) {
    try {
      this.hf = new HfTokenizer(files.tokenizer, files.config);
    } catch (err) {
      throw new UserError(`cannot load tokenizer from ${files.source}: ${(err as Error).message}`);
    }
    const vocab = this.hf.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.specialTokenIds = new Set(
      [...this.hf.get_added_tokens_decoder()].filter(([, t]) => t.special).map(([id]) => id),
    );

    const tokenString = (field: 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token'): string | null => {
      const value = files.config[field];
      if (value === undefined || value === null) return null;
      return typeof value === 'string' ? value : value.content;
    };
    this.specialTokenStrings = {
      bos_token: tokenString('bos_token'),
      eos_token: tokenString('eos_token'),
      pad_token: tokenString('pad_token'),
      unk_token: tokenString('unk_token'),
    };
    const idOf = (field: string): number | null => {
      const token = this.specialTokenStrings[field];
      if (token === null) return null;
      const id = this.hf.token_to_id(token);
      if (id === undefined)
        throw new UserError(`${files.source}: ${field} ${JSON.stringify(token)} is not in the vocabulary`);
      return id;
    };
    this.bosTokenId = idOf('bos_token');
    this.padTokenId = idOf('pad_token');
    this.eosTokenIds = this.collectEosIds(idOf('eos_token'));
    this.chatTemplate = pickChatTemplate(files.config.chat_template);
  }

  /** Loads `tokenizer.json` (required), `tokenizer_config.json`, `generation_config.json`, `config.json` (optional) from `dir`. */
  static fromDir(dir: string): Tokenizer {
    const tokenizerPath = join(dir, 'tokenizer.json');
    if (!existsSync(tokenizerPath)) throw new UserError(`no tokenizer.json in ${dir}`);
    const tokenizer = readJson(tokenizerPath) as object;
    const config = (
      existsSync(join(dir, 'tokenizer_config.json')) ? readJson(join(dir, 'tokenizer_config.json')) : {}
    ) as TokenizerConfig;
    const eosFrom = (file: string) =>
      existsSync(join(dir, file))
        ? (readJson(join(dir, file)) as { eos_token_id?: unknown }).eos_token_id
        : undefined;
    return new Tokenizer({
      tokenizer,
      config,
      eosTokenId: eosFrom('generation_config.json') ?? eosFrom('config.json'),
      source: dir,
    });
  }

  private collectEosIds(tokenizerEos: number | null): number[] {
    const raw = this.files.eosTokenId;
    const listed = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
    const ids = new Set<number>();
    for (const id of listed) {
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize)
        throw new UserError(
          `${this.files.source}: eos_token_id ${JSON.stringify(id)} is not a token id of this tokenizer (vocab size ${this.vocabSize})`,
        );
      ids.add(id);
    }
    if (tokenizerEos !== null) ids.add(tokenizerEos);
    return [...ids];
  }

  /**
   * Token ids of `text`. Special-token strings in the text (e.g. "<|im_end|>") become their ids.
   * `addSpecialTokens` (default true, as `tokenizer(text)` in transformers) applies the
   * post-processor (e.g. a BOS for Llama 3); pass false for text already rendered by a chat template.
   */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    if (text === '') return [];
    return this.hf.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    for (const id of ids)
      if (!Number.isSafeInteger(id) || id < 0 || id >= this.vocabSize)
        throw new UserError(
          `token id ${id} is out of range for the tokenizer of ${this.files.source} (vocab size ${this.vocabSize})`,
        );
    return this.hf.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.hf.token_to_id(token);
  }

  idToToken(id: number): string | undefined {
    return this.hf.id_to_token(id);
  }

  /** Renders the chat template (transformers' `apply_chat_template(..., tokenize=False)`). */
  applyChatTemplate(
    messages: ChatMessage[],
    options: { addGenerationPrompt?: boolean; extra?: Record<string, unknown> } = {},
  ): string {
    if (this.chatTemplate === null)
      throw new UserError(
        `the tokenizer in ${this.files.source} has no chat_template in tokenizer_config.json`,
      );
    return renderChatTemplate(this.chatTemplate, messages, {
      ...this.specialTokenStrings,
      add_generation_prompt: options.addGenerationPrompt ?? false,
      ...options.extra,
    });
  }

  /** A decoder for streaming generation: feed ids one at a time, get text as soon as it is complete. */
  streamDecoder(options: { skipSpecialTokens?: boolean } = {}): StreamDecoder {
    return new StreamDecoder(this, options.skipSpecialTokens ?? false);
  }
}

/**
 * Incremental detokenization (the prefix/read offset scheme of vLLM and transformers'
 * TextStreamer): text is released once the ids decode to something that does not end in an
 * incomplete UTF-8 sequence (U+FFFD), and always relative to a few ids of left context so that
 * tokenizers which strip a leading space from the first token decode the same as in one piece.
 */
export class StreamDecoder {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;

  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly skipSpecialTokens: boolean,
  ) {}

  /** Adds one id; returns the newly completed text (possibly ''). */
  push(id: number): string {
    this.ids.push(id);
    const options = { skipSpecialTokens: this.skipSpecialTokens };
    const prefixText = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), options);
    const fullText = this.tokenizer.decode(this.ids.slice(this.prefixOffset), options);
    if (fullText.length > prefixText.length && !fullText.endsWith('\uFFFD')) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      return fullText.slice(prefixText.length);
    }
    return '';
  }

  /** Text still held back (an incomplete UTF-8 sequence at the end), decoded as is. */
  flush(): string {
    const options = { skipSpecialTokens: this.skipSpecialTokens };
    const prefixText = this.tokenizer.decode(this.ids.slice(this.prefixOffset, this.readOffset), options);
    const fullText = this.tokenizer.decode(this.ids.slice(this.prefixOffset), options);
    this.prefixOffset = this.readOffset = this.ids.length;
    return fullText.slice(prefixText.length);
  }
}

function pickChatTemplate(value: TokenizerConfig['chat_template']): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  return value.find((t) => t.name === 'default')?.template ?? null;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}
