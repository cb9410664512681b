import type { CustomerRecord } from "../graph/records";
import type { ProductSignal } from "../graph/decision";

/**
 * The predictors of the propensity model: every customer is described by one value of each
 * feature below (binned attributes and flags of chosen tags), plus two graph features per offer
 * (how many of the family and calling circle hold the offered product). Features are strings
 * "name=value" so that the model's counts are plain Redis hash fields.
 */

interface Feature {
  name: string;
  /** How many values the feature takes (for Laplace smoothing). */
  cardinality: number;
}

function band(x: number, edges: readonly number[]): string {
  let i = 0;
  while (i < edges.length && x >= (edges[i] as number)) i += 1;
  return String(i);
}

// The bins reach into the tails where acceptance keeps changing (a customer at 2× their data
// quota wants a bigger plan far more than one at 1.3×; 40 roaming days are not 10).
const AGE = [25, 30, 35, 45, 50, 55, 65];
const TENURE = [12, 36, 84];
const ARPU = [40, 80, 130, 200];
// Saturation is use over quota, and use above 115% of the quota is held back (a quarter of the
// excess is used), so the tail that tells a customer who wants far more is narrow: fine bins there.
const SATURATION = [0.5, 0.8, 1.0, 1.1, 1.2, 1.3, 1.4];
const TERMINAL_AGE = [12, 24, 36, 48, 60];
const ROAMING = [1, 4, 10, 20, 40];
/** Monthly data use, MB (3-month average): heavy users want more data whatever their quota. */
const DATA_VOLUME = [5_120, 10_240, 20_480, 40_960];

/** Tags whose presence the model looks at: the behaviour and household signals behind most offers. */
export const MODEL_TAGS = [
  "TEL_DATA_HEAVY",
  "TEL_DATA_SAT_HIGH",
  "TEL_DATA_OVER",
  "TEL_5G_PROPENSITY",
  "TEL_4GPLAN_5GTERM",
  "TEL_VOICE_HEAVY",
  "TEL_TERM_OLD",
  "TEL_ROAM_INTL",
  "TEL_ROAM_FREQ",
  "TEL_BROADBAND",
  "TEL_FAMILY_PLAN",
  "FAM_HEAD",
  "FAM_SIZE",
  "FAM_KIDS",
  "FAM_ELDER",
  "FAM_BB_PROSPECT",
  "LIF_LONG_VIDEO",
  "LIF_SHORT_VIDEO",
  "LIF_MUSIC",
  "LIF_READING",
  "LIF_GAMING",
  "LIF_COMMUTER",
  "LIF_TRAVELLER",
  "LIF_AIRPORT",
  "LIF_CONTENT_PROPENSITY",
  "OCC_ENTERPRISE",
  "VAL_CONTRACT_END",
  "VAL_ARPU_DROP",
] as const;

/** Product kinds whose holding the model looks at (present only): who holds an add-on has a quota that hides their appetite; who is on a family plan wants no other. */
const HELD_KINDS = ["FAMILY_PLAN", "DATA_ADDON", "VOICE_ADDON", "BROADBAND", "IPTV", "CONTENT"] as const;

const CUSTOMER_FEATURES: readonly Feature[] = [
  { name: "segment", cardinality: 3 },
  { name: "lifecycle", cardinality: 5 },
  { name: "age", cardinality: AGE.length + 1 },
  { name: "tenure", cardinality: TENURE.length + 1 },
  { name: "arpu", cardinality: ARPU.length + 1 },
  { name: "network", cardinality: 2 },
  { name: "dataSat", cardinality: SATURATION.length + 1 },
  { name: "voiceSat", cardinality: SATURATION.length + 1 },
  { name: "terminalAge", cardinality: TERMINAL_AGE.length + 1 },
  { name: "roaming", cardinality: ROAMING.length + 1 },
  { name: "dataVolume", cardinality: DATA_VOLUME.length + 1 },
  ...MODEL_TAGS.map((t) => ({ name: `tag:${t}`, cardinality: 2 })),
  ...HELD_KINDS.map((k) => ({ name: `holds:${k}`, cardinality: 2 })),
];

const GRAPH_FEATURES: readonly Feature[] = [
  { name: "family", cardinality: 4 },
  { name: "circle", cardinality: 3 },
];

/** Cardinality by feature name, for the model's smoothing. */
export const FEATURE_CARDINALITY: ReadonlyMap<string, number> = new Map([...CUSTOMER_FEATURES, ...GRAPH_FEATURES].map((f) => [f.name, f.cardinality]));

/** The customer's feature values; `tagCodes` are the codes of the published tags it carries, `heldKinds` the kinds of the products it holds. */
export function customerFeatures(c: CustomerRecord, tagCodes: ReadonlySet<string>, heldKinds: ReadonlySet<string> = new Set()): string[] {
  const dataSat = c.dataQuotaMb > 0 ? c.avgDataMb3m / c.dataQuotaMb : 0;
  const voiceSat = c.voiceQuotaMinutes > 0 ? c.avgVoiceMinutes3m / c.voiceQuotaMinutes : 0;
  const out = [
    `segment=${c.segment}`,
    `lifecycle=${c.lifecycleStage}`,
    `age=${band(c.age, AGE)}`,
    `tenure=${band(c.tenureMonths, TENURE)}`,
    `arpu=${band(c.arpu, ARPU)}`,
    `network=${c.networkType}`,
    `dataSat=${band(dataSat, SATURATION)}`,
    `voiceSat=${band(voiceSat, SATURATION)}`,
    `terminalAge=${band(c.terminalAgeMonths, TERMINAL_AGE)}`,
    `roaming=${band(c.roamingDays3m, ROAMING)}`,
    `dataVolume=${band(c.avgDataMb3m, DATA_VOLUME)}`,
  ];
  for (const t of MODEL_TAGS) out.push(`tag:${t}=${tagCodes.has(t) ? 1 : 0}`);
  for (const k of HELD_KINDS) if (heldKinds.has(k)) out.push(`holds:${k}=1`);
  return out;
}

/** The two graph features of one offered product: adoption in the family (none, one, half or more, all) and in the calling circle. */
export function graphFeatures(signal: ProductSignal | undefined, familySize: number): string[] {
  const fam = signal?.familyHolders ?? 0;
  const family = fam === 0 ? 0 : fam >= familySize ? 3 : fam * 2 >= familySize ? 2 : 1;
  const circle = Math.min(2, signal?.circleHolders ?? 0);
  return [`family=${family}`, `circle=${circle}`];
}
