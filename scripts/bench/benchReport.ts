/**
 * The shape of reports/bench.json: what main.ts collects and report.ts renders (its own module, so
 * that neither imports the other).
 */
import type { CheckingSection } from "./checking";
import type { DevnetSection } from "./devnetLoad";
import type { GasSection } from "./gas";
import type { RefereeSection } from "./refereeSection";
import type { ScalingSection } from "./scaling";
import type { SecuritySection } from "./security";

export interface BenchReport {
  quick: boolean;
  startedAt: string;
  machine: { cpus: number; cpu: string; node: string; platform: string };
  seconds: Record<string, number>;
  errors: Record<string, string>;
  gas?: GasSection;
  scaling?: ScalingSection;
  /** The devnet load on hardhat (section devnet) and on anvil (section devnet-anvil). */
  devnet?: DevnetSection;
  devnetAnvil?: DevnetSection;
  checking?: CheckingSection;
  security?: SecuritySection;
  referee?: RefereeSection;
}
