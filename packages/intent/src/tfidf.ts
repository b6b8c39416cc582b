import type { LanguageSetting } from "./language.js";
import { type FeatureOptions, analyze, charFeatures, wordFeatures } from "./text.js";

/** A sparse row: parallel arrays of feature indexes (ascending) and values. */
export interface SparseVector {
  index: Int32Array;
  value: Float64Array;
}

export interface TfidfOptions extends FeatureOptions {
  /** Weight of the character-n-gram block relative to the word block (each block is L2-normalised first). */
  charWeight: number;
  /** The texts' language, or "auto" to detect it per text (stemming and case folding follow it). */
  language: LanguageSetting;
}

interface Block {
  vocabulary: Map<string, number>;
  idf: number[];
}

/**
 * TF-IDF over two feature blocks (word n-grams of stems, character n-grams of words):
 * sublinear term frequency (1 + ln tf), smoothed idf ln((1 + n) / (1 + df)) + 1, each block
 * L2-normalised, then weighted and concatenated and the whole row L2-normalised again.
 * Features never seen in training are ignored, as in any fitted vocabulary.
 */
export class TfidfVectorizer {
  private constructor(
    readonly options: TfidfOptions,
    private readonly wordBlock: Block,
    private readonly charBlock: Block,
  ) {}

  get dimension(): number {
    return this.wordBlock.idf.length + this.charBlock.idf.length;
  }

  static fit(texts: readonly string[], options: TfidfOptions): TfidfVectorizer {
    const fitBlock = (counts: Map<string, number>[]): Block => {
      const df = new Map<string, number>();
      for (const c of counts) for (const key of c.keys()) df.set(key, (df.get(key) ?? 0) + 1);
      const keys = [...df.keys()].sort();
      const vocabulary = new Map<string, number>();
      const idf: number[] = [];
      for (const key of keys) {
        vocabulary.set(key, idf.length);
        idf.push(Math.log((1 + texts.length) / (1 + (df.get(key) ?? 0))) + 1);
      }
      return { vocabulary, idf };
    };
    const analyzed = texts.map((t) => analyze(t, options.language));
    const wordBlock = fitBlock(analyzed.map((a) => wordFeatures(a.tokens, options.wordNgrams, a.language)));
    const charBlock = fitBlock(
      options.charNgrams.length > 0 ? analyzed.map((a) => charFeatures(a.tokens, options.charNgrams)) : [],
    );
    return new TfidfVectorizer(options, wordBlock, charBlock);
  }

  transform(text: string): SparseVector {
    const { tokens, language } = analyze(text, this.options.language);
    const entries: [number, number][] = [];
    const addBlock = (counts: Map<string, number>, block: Block, offset: number, weight: number) => {
      const local: [number, number][] = [];
      let norm = 0;
      for (const [key, tf] of counts) {
        const i = block.vocabulary.get(key);
        if (i === undefined) continue;
        const v = (1 + Math.log(tf)) * (block.idf[i] ?? 1);
        local.push([offset + i, v]);
        norm += v * v;
      }
      if (norm === 0) return;
      const scale = weight / Math.sqrt(norm);
      for (const [i, v] of local) entries.push([i, v * scale]);
    };
    addBlock(wordFeatures(tokens, this.options.wordNgrams, language), this.wordBlock, 0, 1);
    if (this.options.charNgrams.length > 0 && this.options.charWeight > 0) {
      addBlock(
        charFeatures(tokens, this.options.charNgrams),
        this.charBlock,
        this.wordBlock.idf.length,
        this.options.charWeight,
      );
    }
    entries.sort((a, b) => a[0] - b[0]);
    let norm = 0;
    for (const [, v] of entries) norm += v * v;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    return {
      index: Int32Array.from(entries, (e) => e[0]),
      value: Float64Array.from(entries, (e) => e[1] * scale),
    };
  }

  /** How many of the text's word n-grams the vocabulary knows (0 means the model has nothing to go on). */
  knownWordFeatures(text: string): number {
    let known = 0;
    const { tokens, language } = analyze(text, this.options.language);
    for (const key of wordFeatures(tokens, this.options.wordNgrams, language).keys()) {
      if (this.wordBlock.vocabulary.has(key)) known++;
    }
    return known;
  }
}
