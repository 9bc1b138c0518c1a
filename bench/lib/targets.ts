/** A stated goal and what was measured against it; `met` is undefined when it was not measured. */
export interface Target {
  readonly goal: string;
  readonly met: boolean | undefined;
  readonly evidence: string;
}

/** One Markdown bullet per target: ✓ met, ✗ missed, – not measured in this run. */
export function renderTargets(targets: readonly Target[]): string {
  return targets
    .map(({ goal, met, evidence }) => `- ${met === undefined ? "–" : met ? "✓" : "✗"} ${goal}: ${evidence}`)
    .join("\n");
}
