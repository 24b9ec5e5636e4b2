import { fileURLToPath } from 'node:url';

export { buildOrganism, readManifest, SIZES, type BuildOptions, type OrganismManifest, type OrganismSize } from './build.ts';
export { buildCorpus, type BenchmarkItem, type Corpus, type CorpusOptions, ORGANISM_GENERATOR, ORGANISM_GENERATOR_VERSION } from './corpus.ts';

/** The pre-built organism shipped with the repository (`rlvr organism build --seed 17` rebuilds it with the default generator, v16). */
export const BUNDLED_ORGANISM_DIR = fileURLToPath(new URL('../../assets/organism/', import.meta.url));
export const BUNDLED_ORGANISM_SEED = 17;
/** Its negative control: `rlvr organism build --seed 17 --no-leak` (same items, no planted documents). */
export const BUNDLED_CONTROL_DIR = fileURLToPath(new URL('../../assets/organism-control/', import.meta.url));
