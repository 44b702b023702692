// The timing loop of bench/verify.mjs, shared by Node and the Worker: `n` sequential calls in
// batches of `batch`, after `warmup` untimed ones. workerd's clock has millisecond steps, so
// the per-call figure is a batch's time over its size; the same method runs in both runtimes.
export async function loop(call, { n, batch, warmup }) {
  for (let i = 0; i < warmup; i++) await call();
  const perCall = [];
  const start = performance.now();
  for (let done = 0; done < n; done += batch) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) await call();
    perCall.push(((performance.now() - t0) * 1000) / batch);
  }
  const seconds = (performance.now() - start) / 1000;
  perCall.sort((a, b) => a - b);
  return { opsPerSecond: n / seconds, medianUs: perCall[perCall.length >> 1] };
}
