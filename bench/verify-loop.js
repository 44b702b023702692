// The timing loop of bench/verify.mjs, shared by Node and the Worker. The verifiers take turns:
// `rounds` rounds of `perRound` sequential calls each, the order flipped every round, after
// `warmup` untimed calls each. Taking turns cancels drift (JIT tiers, GC, a busy neighbour on a
// shared machine), and long totals make workerd's coarse clock (it moves in whole
// milliseconds) a rounding error: a 5,000-call run was about 110 ms there, so one step of its
// clock was a 1% swing in the ratio.
export async function compare(calls, { rounds, perRound, warmup }) {
  const names = Object.keys(calls);
  const ms = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) for (let i = 0; i < warmup; i++) await calls[name]();
  for (let round = 0; round < rounds; round++) {
    for (const name of round % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      for (let i = 0; i < perRound; i++) await calls[name]();
      ms[name].push(performance.now() - t0);
    }
  }
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    names.map((name) => [
      name,
      {
        opsPerSecond: (rounds * perRound * 1000) / sum(ms[name]),
        usPerCall: (sum(ms[name]) * 1000) / (rounds * perRound),
        roundMs: ms[name],
      },
    ]),
  );
}
