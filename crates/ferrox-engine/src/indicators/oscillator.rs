//! Range oscillators: STOCH, STOCHF, STOCHRSI, WILLR, CCI, AROON, AROONOSC,
//! ULTOSC, MFI.

use super::core::{as_slots, written, Indicator, Slot, NAN_SLOT};
use super::ma::{Ma, MaType};
use super::momentum::Rsi;
use super::ring::Ring;
use super::window::{scan_blocks, HighLow};
use super::{is_zero, is_zero_scaled};

/// TA-Lib's cached-index rolling low/high (used by STOCH and AROON): the
/// extreme and its bar index are kept; the window is rescanned only when the
/// extreme leaves it. `rescan_ties_move` makes a tie found by the rescan move
/// the index to the later bar (AROON) instead of keeping the earlier (STOCH).
#[derive(Debug, Clone)]
struct CachedExtremes {
    window: usize,
    rescan_ties_move: bool,
    lows: Ring,
    highs: Ring,
    seen: usize,
    lowest_idx: Option<usize>,
    highest_idx: Option<usize>,
    lowest: f64,
    highest: f64,
}

/// Which extremes changed on a step (STOCH recomputes its range only then).
#[derive(Debug, Clone, Copy)]
struct Moved {
    low: bool,
    high: bool,
}

impl CachedExtremes {
    fn new(window: usize, rescan_ties_move: bool) -> Self {
        let window = window.max(1);
        Self {
            window,
            rescan_ties_move,
            lows: Ring::new(window),
            highs: Ring::new(window),
            seen: 0,
            lowest_idx: None,
            highest_idx: None,
            lowest: 0.0,
            highest: 0.0,
        }
    }

    fn clear(&mut self) {
        *self = Self::new(self.window, self.rescan_ties_move);
    }

    /// Feeds one bar; `None` until the window is full.
    #[inline(always)]
    fn push(&mut self, high: f64, low: f64) -> Option<Moved> {
        self.lows.push(low);
        self.highs.push(high);
        let today = self.seen;
        self.seen += 1;
        if self.seen < self.window {
            return None;
        }
        let trailing = today + 1 - self.window;
        let ties = self.rescan_ties_move;
        let mut moved = Moved {
            low: false,
            high: false,
        };
        if self.lowest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut best = self.lows.get(0);
            for k in 1..self.window {
                let v = self.lows.get(k);
                if v < best || (ties && v <= best) {
                    idx = trailing + k;
                    best = v;
                }
            }
            self.lowest_idx = Some(idx);
            self.lowest = best;
            moved.low = true;
        } else if low <= self.lowest {
            self.lowest_idx = Some(today);
            self.lowest = low;
            moved.low = true;
        }
        if self.highest_idx.is_none_or(|i| i < trailing) {
            let mut idx = trailing;
            let mut best = self.highs.get(0);
            for k in 1..self.window {
                let v = self.highs.get(k);
                if v > best || (ties && v >= best) {
                    idx = trailing + k;
                    best = v;
                }
            }
            self.highest_idx = Some(idx);
            self.highest = best;
            moved.high = true;
        } else if high >= self.highest {
            self.highest_idx = Some(today);
            self.highest = high;
            moved.high = true;
        }
        Some(moved)
    }
}

/// [`CachedExtremes`] over whole columns: calls `emit(today, lowest_idx,
/// lowest, highest_idx, highest)` for every bar from `window - 1` on, with the
/// same rescans and tie rules (`TIES_MOVE` as `rescan_ties_move`).
#[inline(always)]
fn scan_cached_extremes<const TIES_MOVE: bool>(
    high: &[f64],
    low: &[f64],
    window: usize,
    mut emit: impl FnMut(usize, usize, f64, usize, f64),
) {
    let n = high.len().min(low.len());
    if window == 0 || n < window {
        return;
    }
    let (mut lowest_idx, mut lowest) = (0, 0.0);
    let (mut highest_idx, mut highest) = (0, 0.0);
    // The first window always rescans, like a fresh `CachedExtremes`.
    let mut fresh = true;
    for today in window - 1..n {
        let trailing = today + 1 - window;
        if fresh || lowest_idx < trailing {
            let k = rescan::<false, TIES_MOVE>(&low[trailing..=today]);
            (lowest_idx, lowest) = (trailing + k, low[trailing + k]);
        } else if low[today] <= lowest {
            (lowest_idx, lowest) = (today, low[today]);
        }
        if fresh || highest_idx < trailing {
            let k = rescan::<true, TIES_MOVE>(&high[trailing..=today]);
            (highest_idx, highest) = (trailing + k, high[trailing + k]);
        } else if high[today] >= highest {
            (highest_idx, highest) = (today, high[today]);
        }
        fresh = false;
        emit(today, lowest_idx, lowest, highest_idx, highest);
    }
}

/// Where a scan from the first element of `window` (non-empty) ends that
/// moves to any later value beating its best (`HIGH`: greater; else smaller),
/// or tying it when `TIES_MOVE`.
#[inline(always)]
fn rescan<const HIGH: bool, const TIES_MOVE: bool>(window: &[f64]) -> usize {
    let mut idx = 0;
    let mut best = window[0];
    for (k, &v) in window.iter().enumerate().skip(1) {
        let wins = if HIGH {
            v > best || (TIES_MOVE && v >= best)
        } else {
            v < best || (TIES_MOVE && v <= best)
        };
        if wins {
            idx = k;
            best = v;
        }
    }
    idx
}

/// TA-Lib's raw stochastic %K over `period` bars.
#[derive(Debug, Clone)]
struct FastK {
    ext: CachedExtremes,
}

impl FastK {
    fn new(period: usize) -> Self {
        Self {
            ext: CachedExtremes::new(period, false),
        }
    }

    fn lookback(&self) -> usize {
        self.ext.window - 1
    }

    fn clear(&mut self) {
        self.ext.clear();
    }

    #[inline(always)]
    fn push(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        self.ext.push(high, low)?;
        Some(fast_k(self.ext.lowest, self.ext.highest, close))
    }

    /// %K of every bar from the lookback on, as `push` would give them,
    /// written to `k[lookback..]`; `scratch[lookback..]` (another output
    /// column) is overwritten with the window highs.
    #[inline(always)]
    fn batch(
        &self,
        high: &[f64],
        low: &[f64],
        close: &[f64],
        k: &mut [Slot],
        scratch: &mut [Slot],
    ) {
        let lookback = self.lookback();
        if close.len() <= lookback {
            return;
        }
        // The extremes first, then %K in a loop of its own: its division then
        // overlaps across bars instead of waiting behind the scan's branches.
        let (lows, highs) = (&mut k[lookback..], &mut scratch[lookback..]);
        scan_cached_extremes::<false>(high, low, self.ext.window, |today, _, lo, _, hi| {
            lows[today - lookback] = Slot::new(lo);
            highs[today - lookback] = Slot::new(hi);
        });
        for ((v, hi), &c) in lows.iter_mut().zip(highs.iter()).zip(&close[lookback..]) {
            // SAFETY: the scan wrote every row from the lookback on.
            let (lo, hi) = unsafe { (v.assume_init(), hi.assume_init()) };
            *v = Slot::new(fast_k(lo, hi, c));
        }
    }
}

/// %K of `close` in `[lowest, highest]`; 0 on an (almost) empty range.
#[inline(always)]
fn fast_k(lowest: f64, highest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    if !is_zero_scaled(range, highest.abs() + lowest.abs()) {
        ((close - lowest) / range) * 100.0
    } else {
        0.0
    }
}

/// Runs a fresh moving average over all of `x` into `out` (same length).
#[inline(always)]
fn run_ma(ma: &mut Ma, x: &[f64], out: &mut [Slot]) {
    ma.run(&[x], &mut [out], 0);
}

/// Slow stochastic: `[slowk, slowd]` (TA-Lib STOCH).
#[derive(Debug, Clone)]
pub struct Stoch {
    k: FastK,
    slow_k: Ma,
    slow_d: Ma,
    lb_k: usize,
    lb_slow_k: usize,
    seen: usize,
}

impl Stoch {
    /// %K over `fastk_period` bars, smoothed by `slowk` then `slowd`.
    pub fn new(
        fastk_period: usize,
        slowk_period: usize,
        slowk_matype: MaType,
        slowd_period: usize,
        slowd_matype: MaType,
    ) -> Self {
        let k = FastK::new(fastk_period);
        let slow_k = Ma::new(slowk_matype, slowk_period);
        let slow_d = Ma::new(slowd_matype, slowd_period);
        Self {
            lb_k: k.lookback(),
            lb_slow_k: slow_k.lookback(),
            k,
            slow_k,
            slow_d,
            seen: 0,
        }
    }
}

impl Indicator for Stoch {
    type Input = [f64; 3];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.lb_k + self.lb_slow_k + self.slow_d.lookback()
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> [f64; 2] {
        self.seen += 1;
        let Some(k) = self.k.push(high, low, close) else {
            return [f64::NAN; 2];
        };
        let slow_k = self.slow_k.update(k);
        if self.seen <= self.lb_k + self.lb_slow_k {
            return [f64::NAN; 2];
        }
        let slow_d = self.slow_d.update(slow_k);
        if self.seen <= self.lookback() {
            return [f64::NAN; 2];
        }
        [slow_k, slow_d]
    }

    fn reset(&mut self) {
        self.k.clear();
        self.slow_k.reset();
        self.slow_d.reset();
        self.seen = 0;
    }

    /// %K for the whole column, then each moving average over the whole
    /// output of the stage before (TA-Lib's own order of work).
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let [high, low, close] = [0, 1, 2].map(|k| &inputs[k][start..]);
        let [out_k, out_d] = outputs else {
            return;
        };
        let (out_k, out_d) = (&mut out_k[start..], &mut out_d[start..]);
        let n = close.len();
        let total = self.lookback().min(n);
        // The output columns hold every stage, no other buffer: %K goes to
        // the %D column, slow %K from it to its own column, slow %D from that
        // back to the %D column.
        let (lb_k, lb_slow_k) = (self.lb_k, self.lb_slow_k);
        self.k.batch(high, low, close, out_d, out_k);
        if lb_k < n {
            // SAFETY: `batch` wrote every row of `out_d` from `lb_k` on.
            let k = unsafe { written(&out_d[lb_k..]) };
            run_ma(&mut self.slow_k, k, &mut out_k[lb_k..]);
        }
        if lb_k + lb_slow_k < n {
            // SAFETY: the slow %K run wrote every row from `lb_k` on.
            let smoothed = unsafe { written(&out_k[lb_k + lb_slow_k..]) };
            run_ma(&mut self.slow_d, smoothed, &mut out_d[lb_k + lb_slow_k..]);
        }
        out_k[..total].fill(NAN_SLOT);
        out_d[..total].fill(NAN_SLOT);
    }
}

/// Fast stochastic: `[fastk, fastd]` (TA-Lib STOCHF).
#[derive(Debug, Clone)]
pub struct StochF {
    k: FastK,
    fast_d: Ma,
    seen: usize,
}

impl StochF {
    /// %K over `fastk_period` bars, %D its `fastd` moving average.
    pub fn new(fastk_period: usize, fastd_period: usize, fastd_matype: MaType) -> Self {
        Self {
            k: FastK::new(fastk_period),
            fast_d: Ma::new(fastd_matype, fastd_period),
            seen: 0,
        }
    }
}

impl Indicator for StochF {
    type Input = [f64; 3];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.k.lookback() + self.fast_d.lookback()
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> [f64; 2] {
        self.seen += 1;
        let Some(k) = self.k.push(high, low, close) else {
            return [f64::NAN; 2];
        };
        let d = self.fast_d.update(k);
        if self.seen <= self.lookback() {
            return [f64::NAN; 2];
        }
        [k, d]
    }

    fn reset(&mut self) {
        self.k.clear();
        self.fast_d.reset();
        self.seen = 0;
    }

    /// %K for the whole column, then %D over it.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let [high, low, close] = [0, 1, 2].map(|k| &inputs[k][start..]);
        let [out_k, out_d] = outputs else {
            return;
        };
        let (out_k, out_d) = (&mut out_k[start..], &mut out_d[start..]);
        let n = close.len();
        let total = self.lookback().min(n);
        // %K straight into its column (the %D column as scratch), %D from it.
        let lb_k = self.k.lookback();
        self.k.batch(high, low, close, out_k, out_d);
        if lb_k < n {
            // SAFETY: `batch` wrote every row of `out_k` from `lb_k` on.
            let k = unsafe { written(&out_k[lb_k..]) };
            run_ma(&mut self.fast_d, k, &mut out_d[lb_k..]);
        }
        out_k[..total].fill(NAN_SLOT);
        out_d[..total].fill(NAN_SLOT);
    }
}

/// Stochastic RSI: STOCHF of the RSI, `[fastk, fastd]` (TA-Lib STOCHRSI).
#[derive(Debug, Clone)]
pub struct StochRsi {
    rsi: Rsi,
    stoch: StochF,
    seen: usize,
}

impl StochRsi {
    /// RSI over `period`, then STOCHF(`fastk`, `fastd`, `fastd_matype`) of it.
    pub fn new(
        period: usize,
        fastk_period: usize,
        fastd_period: usize,
        fastd_matype: MaType,
    ) -> Self {
        Self {
            rsi: Rsi::new(period),
            stoch: StochF::new(fastk_period, fastd_period, fastd_matype),
            seen: 0,
        }
    }
}

impl Indicator for StochRsi {
    type Input = f64;
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.rsi.lookback() + self.stoch.lookback()
    }

    #[inline(always)]
    fn update(&mut self, x: f64) -> [f64; 2] {
        self.seen += 1;
        let r = self.rsi.update(x);
        if self.seen <= self.rsi.lookback() {
            return [f64::NAN; 2];
        }
        self.stoch.update([r, r, r])
    }

    fn reset(&mut self) {
        self.rsi.reset();
        self.stoch.reset();
        self.seen = 0;
    }

    /// RSI for the whole column, then STOCHF over it from its lookback on.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let x = &inputs[0][start..];
        let mut rsi = vec![0.0; x.len()];
        self.rsi.run(&[x], &mut [as_slots(&mut rsi)], 0);
        let lb = self.rsi.lookback().min(x.len());
        let [out_k, out_d] = outputs else {
            return;
        };
        let (out_k, out_d) = (&mut out_k[start..], &mut out_d[start..]);
        out_k[..lb].fill(NAN_SLOT);
        out_d[..lb].fill(NAN_SLOT);
        let r = &rsi[lb..];
        self.stoch
            .run(&[r, r, r], &mut [&mut out_k[lb..], &mut out_d[lb..]], 0);
    }
}

/// Williams' %R over `period` bars: `-100 * (highest - close)/(highest - lowest)`.
#[derive(Debug, Clone)]
pub struct WillR {
    scan: HighLow,
}

impl WillR {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            scan: HighLow::new(period),
        }
    }
}

impl Indicator for WillR {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.scan.period() - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        match self.scan.push(high, low) {
            Some((highest, lowest)) => willr(highest, lowest, close),
            None => f64::NAN,
        }
    }

    fn reset(&mut self) {
        self.scan.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let close = &inputs[2][start..];
        let out = &mut outputs[0][start..];
        let p = self.scan.period();
        out[..(p - 1).min(high.len())].fill(NAN_SLOT);
        scan_blocks::<true, true>(high, low, p, |w| w.write(out, close, willr));
    }
}

/// %R of `close` in the range `[lowest, highest]`; 0 on an empty range.
#[inline(always)]
fn willr(highest: f64, lowest: f64, close: f64) -> f64 {
    let range = highest - lowest;
    if range == 0.0 {
        return 0.0;
    }
    // A close outside the window's range is clamped into [-100, 0].
    (((highest - close) / range) * (-100.0)).clamp(-100.0, 0.0)
}

/// Commodity Channel Index over `period` bars of typical price (TA-Lib CCI).
///
/// TA-Lib sums its circular buffer in slot order, not age order; the slots are
/// kept the same way so the rounding matches.
#[derive(Debug, Clone)]
pub struct Cci {
    period: usize,
    slots: Vec<f64>,
    seen: usize,
}

impl Cci {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            slots: vec![0.0; period],
            seen: 0,
        }
    }
}

impl Indicator for Cci {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period - 1
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let p = self.period;
        let typical = (high + low + close) / 3.0;
        self.slots[self.seen % p] = typical;
        self.seen += 1;
        if self.seen < p {
            return f64::NAN;
        }
        let mut average = 0.0;
        for &v in &self.slots {
            average += v;
        }
        average /= p as f64;
        let mut deviation = 0.0;
        for &v in &self.slots {
            deviation += (v - average).abs();
        }
        cci(typical, average, deviation, p as f64)
    }

    fn reset(&mut self) {
        self.slots.fill(0.0);
        self.seen = 0;
    }

    /// Several windows at once, with sums in the same slot order as `update`.
    ///
    /// Windows starting at `base + r` (`base` a multiple of `period`, `0 <= r
    /// < period`) have slot `j` holding the bar `base + period + j` when `j <
    /// r`, else `base + j`. So the windows of one such group read two fixed
    /// blocks of typical prices, each lane picking its side by `j < r`, and
    /// lanes add in parallel while each keeps the serial order.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let [high, low, close] = [0, 1, 2].map(|k| &inputs[k][start..]);
        let out = &mut outputs[0][start..];
        let p = self.period;
        let n = close.len();
        out[..(p - 1).min(n)].fill(NAN_SLOT);
        if n < p {
            return;
        }
        // Padded by `p` so every group's second block is whole.
        let mut typ = vec![0.0; n + p];
        for (((t, &h), &l), &c) in typ.iter_mut().zip(high).zip(low).zip(close) {
            *t = (h + l + c) / 3.0;
        }
        let windows = n - p + 1;
        let mut w = 0;
        while w < windows {
            let base = w - w % p;
            let left = (p - (w - base)).min(windows - w);
            let done = if left >= 8 {
                cci_lanes::<8>(&typ, base, w - base, p, &mut out[w + p - 1..])
            } else if left >= 4 {
                cci_lanes::<4>(&typ, base, w - base, p, &mut out[w + p - 1..])
            } else {
                cci_lanes::<1>(&typ, base, w - base, p, &mut out[w + p - 1..])
            };
            w += done;
        }
    }
}

/// CCI of `L` consecutive windows starting at `base + r`, written to
/// `out[..L]` (see [`Cci::run`]); returns `L`.
#[inline(always)]
fn cci_lanes<const L: usize>(
    typ: &[f64],
    base: usize,
    r: usize,
    p: usize,
    out: &mut [Slot],
) -> usize {
    let (a, b) = (&typ[base..base + p], &typ[base + p..base + 2 * p]);
    let mut sum = [0.0; L];
    for j in 0..p {
        for (k, s) in sum.iter_mut().enumerate() {
            *s += if j < r + k { b[j] } else { a[j] };
        }
    }
    let average = sum.map(|s| s / p as f64);
    let mut deviation = [0.0; L];
    for j in 0..p {
        for (k, d) in deviation.iter_mut().enumerate() {
            let v = if j < r + k { b[j] } else { a[j] };
            *d += (v - average[k]).abs();
        }
    }
    // Window `r + k` ends at bar `base + r + k + p - 1`.
    let newest = &typ[base + r + p - 1..base + r + p - 1 + L];
    for k in 0..L {
        out[k] = Slot::new(cci(newest[k], average[k], deviation[k], p as f64));
    }
    L
}

/// CCI of the newest typical price against the window's mean and summed
/// absolute deviation; 0 when either is (almost) zero.
#[inline(always)]
fn cci(typical: f64, average: f64, deviation: f64, p: f64) -> f64 {
    let above = typical - average;
    if !is_zero_scaled(above, typical.abs() + average.abs()) && !is_zero(deviation) {
        above / (0.015 * (deviation / p))
    } else {
        0.0
    }
}

/// Aroon over `period` bars: `[aroondown, aroonup]`.
#[derive(Debug, Clone)]
pub struct Aroon {
    period: usize,
    ext: CachedExtremes,
}

impl Aroon {
    /// Over `period` (>= 1) bars (the window holds `period + 1` bars).
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            ext: CachedExtremes::new(period + 1, true),
        }
    }

    #[inline(always)]
    fn step(&mut self, high: f64, low: f64) -> Option<(usize, usize, usize)> {
        self.ext.push(high, low)?;
        let today = self.ext.seen - 1;
        Some((
            today,
            self.ext.highest_idx.unwrap_or(today),
            self.ext.lowest_idx.unwrap_or(today),
        ))
    }
}

impl Indicator for Aroon {
    type Input = [f64; 2];
    type Output = [f64; 2];

    fn lookback(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> [f64; 2] {
        let Some((today, hi, lo)) = self.step(high, low) else {
            return [f64::NAN; 2];
        };
        let factor = 100.0 / self.period as f64;
        let p = self.period as i64;
        let up = factor * (p - (today - hi) as i64) as f64;
        let down = factor * (p - (today - lo) as i64) as f64;
        [down, up]
    }

    fn reset(&mut self) {
        self.ext.clear();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let [down, up] = outputs else {
            return;
        };
        let (down, up) = (&mut down[start..], &mut up[start..]);
        let p = self.period;
        let warm = p.min(high.len());
        down[..warm].fill(NAN_SLOT);
        up[..warm].fill(NAN_SLOT);
        let factor = 100.0 / p as f64;
        scan_cached_extremes::<true>(high, low, p + 1, |today, lo, _, hi, _| {
            up[today] = Slot::new(factor * (p as i64 - (today - hi) as i64) as f64);
            down[today] = Slot::new(factor * (p as i64 - (today - lo) as i64) as f64);
        });
    }
}

/// Aroon oscillator: aroon up minus aroon down.
#[derive(Debug, Clone)]
pub struct AroonOsc {
    inner: Aroon,
}

impl AroonOsc {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        Self {
            inner: Aroon::new(period),
        }
    }
}

impl Indicator for AroonOsc {
    type Input = [f64; 2];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.inner.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low]: [f64; 2]) -> f64 {
        let Some((_, hi, lo)) = self.inner.step(high, low) else {
            return f64::NAN;
        };
        let factor = 100.0 / self.inner.period as f64;
        factor * (hi as i64 - lo as i64) as f64
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        let (high, low) = (&inputs[0][start..], &inputs[1][start..]);
        let out = &mut outputs[0][start..];
        let p = self.inner.period;
        out[..p.min(high.len())].fill(NAN_SLOT);
        let factor = 100.0 / p as f64;
        scan_cached_extremes::<true>(high, low, p + 1, |today, lo, _, hi, _| {
            out[today] = Slot::new(factor * (hi as i64 - lo as i64) as f64);
        });
    }
}

/// Ultimate Oscillator over three periods (TA-Lib ULTOSC).
#[derive(Debug, Clone)]
pub struct UltOsc {
    /// Shortest to longest.
    periods: [usize; 3],
    close_minus_low: Ring,
    true_range: Ring,
    a: [f64; 3],
    b: [f64; 3],
    prev_close: f64,
    /// Consecutive bars contributing nothing (zero true range): once a window
    /// is all such bars its totals are exactly zero, whatever residue they hold.
    null_run: usize,
    seen: usize,
}

impl UltOsc {
    /// Over the three periods, in any order.
    pub fn new(p1: usize, p2: usize, p3: usize) -> Self {
        let mut periods = [p1.max(1), p2.max(1), p3.max(1)];
        periods.sort_unstable();
        Self {
            periods,
            close_minus_low: Ring::new(periods[2]),
            true_range: Ring::new(periods[2]),
            a: [0.0; 3],
            b: [0.0; 3],
            prev_close: 0.0,
            null_run: 0,
            seen: 0,
        }
    }
}

impl Indicator for UltOsc {
    type Input = [f64; 3];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.periods[2]
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close]: [f64; 3]) -> f64 {
        let today = self.seen;
        self.seen += 1;
        let prev_close = self.prev_close;
        self.prev_close = close;
        if today == 0 {
            return f64::NAN;
        }
        let (cmtl, tr) = ultosc_bar(high, low, close, prev_close);
        self.close_minus_low.push(cmtl);
        self.true_range.push(tr);
        self.null_run = if tr == 0.0 && cmtl == 0.0 {
            self.null_run + 1
        } else {
            0
        };
        let [s, m, l] = self.periods;
        let lookback = l;
        if today < lookback {
            // Warm-up: each total collects the bars inside its own window.
            if today + s > lookback {
                self.a[0] += cmtl;
                self.b[0] += tr;
            }
            if today + m > lookback {
                self.a[1] += cmtl;
                self.b[1] += tr;
            }
            self.a[2] += cmtl;
            self.b[2] += tr;
            return f64::NAN;
        }
        for k in 0..3 {
            self.a[k] += cmtl;
            self.b[k] += tr;
        }
        for (k, &p) in self.periods.iter().enumerate() {
            if self.null_run >= p {
                self.a[k] = 0.0;
                self.b[k] = 0.0;
            }
        }
        if self.null_run >= l {
            self.null_run = l;
        }
        let mut output = 0.0;
        if self.b[0] > 0.0 {
            output += 4.0 * (self.a[0] / self.b[0]);
        }
        if self.b[1] > 0.0 {
            output += 2.0 * (self.a[1] / self.b[1]);
        }
        if self.b[2] > 0.0 {
            output += self.a[2] / self.b[2];
        }
        // Drop the bar leaving each window (age = period - 1).
        for (k, &p) in self.periods.iter().enumerate() {
            self.a[k] -= self.close_minus_low.back(p - 1);
            self.b[k] -= self.true_range.back(p - 1);
        }
        100.0 * (output / 7.0)
    }

    fn reset(&mut self) {
        *self = Self::new(self.periods[0], self.periods[1], self.periods[2]);
    }

    /// Warm-up through `update`, then the same steps over slices, chunk by
    /// chunk: the terms of a chunk's bars (and of the `period - 1` before it,
    /// which leave the windows) go to a small reused buffer first, so the
    /// totals loop only reads them.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        const CHUNK: usize = 2048;
        let n = inputs[2].len();
        let lookback = self.periods[2];
        let from = self.run_rows(inputs, outputs, start, (start + lookback).min(n));
        if from >= n {
            return;
        }
        let [high, low, close] = [0, 1, 2].map(|k| &inputs[k][start..]);
        let out = &mut outputs[0][start..];
        let [s, m, l] = self.periods;
        let (mut a, mut b, mut null_run) = (self.a, self.b, self.null_run);
        let mut buf = vec![(0.0, 0.0); CHUNK + l];
        let mut chunk = lookback;
        while chunk < close.len() {
            let end = (chunk + CHUNK).min(close.len());
            // Terms of bars `first..end`; bar `i` is at `i - first`.
            let first = chunk + 1 - l;
            let bars = high[first..end]
                .iter()
                .zip(&low[first..end])
                .zip(&close[first..end]);
            for (t, (((&h, &lo), &c), &pc)) in buf.iter_mut().zip(bars.zip(&close[first - 1..])) {
                *t = ultosc_bar(h, lo, c, pc);
            }
            let len = end - first;
            let entering = &buf[l - 1..len];
            // The bars leaving each window, in step with the bar entering.
            let leaving = buf[l - s..].iter().zip(&buf[l - m..]).zip(&buf[..len]);
            for ((o, &(cm, tr)), ((&ts, &tm), &tl)) in
                out[chunk..end].iter_mut().zip(entering).zip(leaving)
            {
                null_run = if tr == 0.0 && cm == 0.0 {
                    null_run + 1
                } else {
                    0
                };
                for k in 0..3 {
                    a[k] += cm;
                    b[k] += tr;
                }
                for (k, p) in [s, m, l].into_iter().enumerate() {
                    if null_run >= p {
                        a[k] = 0.0;
                        b[k] = 0.0;
                    }
                }
                if null_run >= l {
                    null_run = l;
                }
                let mut output = 0.0;
                if b[0] > 0.0 {
                    output += 4.0 * (a[0] / b[0]);
                }
                if b[1] > 0.0 {
                    output += 2.0 * (a[1] / b[1]);
                }
                if b[2] > 0.0 {
                    output += a[2] / b[2];
                }
                for (k, (cm, tr)) in [ts, tm, tl].into_iter().enumerate() {
                    a[k] -= cm;
                    b[k] -= tr;
                }
                *o = Slot::new(100.0 * (output / 7.0));
            }
            chunk = end;
        }
        (self.a, self.b, self.null_run) = (a, b, null_run);
    }
}

/// One bar's close minus true low and true range, TA-Lib's ULTOSC way.
#[inline(always)]
fn ultosc_bar(high: f64, low: f64, close: f64, prev_close: f64) -> (f64, f64) {
    let true_low = if low < prev_close { low } else { prev_close };
    let mut tr = high - low;
    let v = (prev_close - high).abs();
    if v > tr {
        tr = v;
    }
    let v = (prev_close - low).abs();
    if v > tr {
        tr = v;
    }
    (close - true_low, tr)
}

/// Money Flow Index over `period` bars (TA-Lib MFI, 0.8 rules: flat typical
/// prices carry no flow, an empty window gives 0).
#[derive(Debug, Clone)]
pub struct Mfi {
    period: usize,
    pos: Ring,
    neg: Ring,
    pos_sum: f64,
    neg_sum: f64,
    prev_typical: f64,
    null_run: usize,
    seen: usize,
}

impl Mfi {
    /// Over `period` (>= 1) bars.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            period,
            pos: Ring::new(period),
            neg: Ring::new(period),
            pos_sum: 0.0,
            neg_sum: 0.0,
            prev_typical: 0.0,
            null_run: 0,
            seen: 0,
        }
    }
}

impl Indicator for Mfi {
    type Input = [f64; 4];
    type Output = f64;

    fn lookback(&self) -> usize {
        self.period
    }

    #[inline(always)]
    fn update(&mut self, [high, low, close, volume]: [f64; 4]) -> f64 {
        let p = self.period;
        let today = self.seen;
        self.seen += 1;
        let typical = (high + low + close) / 3.0;
        if today == 0 {
            self.prev_typical = typical;
            return f64::NAN;
        }
        if today > p {
            // The ring is full: the oldest flow leaves before the new one enters.
            self.pos_sum -= self.pos.get(0);
            self.neg_sum -= self.neg.get(0);
        }
        let (pos, neg) = money_flow(typical, self.prev_typical, volume);
        self.prev_typical = typical;
        self.pos.push(pos);
        self.neg.push(neg);
        self.pos_sum += pos;
        self.neg_sum += neg;
        self.null_run = if pos == 0.0 && neg == 0.0 {
            self.null_run + 1
        } else {
            0
        };
        if self.null_run >= p {
            self.null_run = p;
            self.pos_sum = 0.0;
            self.neg_sum = 0.0;
        }
        if today < p {
            return f64::NAN;
        }
        mfi(self.pos_sum, self.neg_sum)
    }

    fn reset(&mut self) {
        *self = Self::new(self.period);
    }

    /// Warm-up through `update` (to the first bar whose oldest flow leaves),
    /// then the same steps over slices, chunk by chunk: the flows of a chunk's
    /// bars and of the `period` before it go to a small reused buffer first.
    #[inline(always)]
    fn run(&mut self, inputs: &[&[f64]], outputs: &mut [&mut [Slot]], start: usize) {
        const CHUNK: usize = 2048;
        let n = inputs[3].len();
        let p = self.period;
        let from = self.run_rows(inputs, outputs, start, (start + p + 1).min(n));
        if from >= n {
            return;
        }
        let [high, low, close, volume] = [0, 1, 2, 3].map(|k| &inputs[k][start..]);
        let out = &mut outputs[0][start..];
        let (mut pos_sum, mut neg_sum, mut null_run) = (self.pos_sum, self.neg_sum, self.null_run);
        let mut buf = vec![(0.0, 0.0); CHUNK + p];
        let typical = |i: usize| (high[i] + low[i] + close[i]) / 3.0;
        let mut chunk = p + 1;
        while chunk < n - start {
            let end = (chunk + CHUNK).min(n - start);
            // Flows of bars `first..end`; bar `i` is at `i - first`.
            let first = chunk - p;
            let mut prev = typical(first - 1);
            let bars = high[first..end]
                .iter()
                .zip(&low[first..end])
                .zip(&close[first..end]);
            for (f, (((&h, &l), &c), &v)) in buf.iter_mut().zip(bars.zip(&volume[first..end])) {
                let t = (h + l + c) / 3.0;
                *f = money_flow(t, prev, v);
                prev = t;
            }
            let len = end - first;
            let rows = buf[p..len].iter().zip(&buf[..len - p]);
            for (o, (&(pos, neg), &(old_pos, old_neg))) in out[chunk..end].iter_mut().zip(rows) {
                pos_sum -= old_pos;
                neg_sum -= old_neg;
                pos_sum += pos;
                neg_sum += neg;
                null_run = if pos == 0.0 && neg == 0.0 {
                    null_run + 1
                } else {
                    0
                };
                if null_run >= p {
                    null_run = p;
                    pos_sum = 0.0;
                    neg_sum = 0.0;
                }
                *o = Slot::new(mfi(pos_sum, neg_sum));
            }
            chunk = end;
        }
        (self.pos_sum, self.neg_sum, self.null_run) = (pos_sum, neg_sum, null_run);
    }
}

/// One bar's positive and negative money flow: its `typical * volume` on the
/// side of the typical price's move, none when the price is (almost) flat.
#[inline(always)]
fn money_flow(typical: f64, prev_typical: f64, volume: f64) -> (f64, f64) {
    let change = typical - prev_typical;
    let scale = typical.abs() + prev_typical.abs();
    let flow = typical * volume;
    let money = if is_zero_scaled(change, scale) {
        0.0
    } else {
        flow
    };
    if change < 0.0 {
        (0.0, money)
    } else {
        (money, 0.0)
    }
}

/// The index from the window's flows; 0 when the window holds none.
#[inline(always)]
fn mfi(pos_sum: f64, neg_sum: f64) -> f64 {
    let total = pos_sum + neg_sum;
    let pos_clamped = if pos_sum < 0.0 {
        0.0
    } else if pos_sum > total {
        total
    } else {
        pos_sum
    };
    if total <= 0.0 {
        0.0
    } else {
        100.0 * (pos_clamped / total)
    }
}

#[cfg(test)]
mod tests {
    use super::super::core::testing::{assert_batch_equals_stream, walk};
    use super::*;

    #[test]
    fn batch_equals_stream() {
        for nans in [false, true] {
            let c = walk(600, 21, nans);
            let h: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v + 0.5 + (i % 7) as f64 * 0.1)
                .collect();
            let l: Vec<f64> = c
                .iter()
                .enumerate()
                .map(|(i, v)| v - 0.5 - (i % 5) as f64 * 0.1)
                .collect();
            let vol: Vec<f64> = (0..600).map(|i| 100.0 + (i % 13) as f64).collect();
            for p in [1, 2, 5, 14] {
                assert_batch_equals_stream(
                    &Stoch::new(p, 3, MaType::Sma, 3, MaType::Ema),
                    &[&h, &l, &c],
                );
                assert_batch_equals_stream(&StochF::new(p, 3, MaType::Wma), &[&h, &l, &c]);
                assert_batch_equals_stream(&StochRsi::new(14, p, 3, MaType::Sma), &[&c]);
                assert_batch_equals_stream(&WillR::new(p), &[&h, &l, &c]);
                assert_batch_equals_stream(&Cci::new(p.max(2)), &[&h, &l, &c]);
                assert_batch_equals_stream(&Aroon::new(p.max(2)), &[&h, &l]);
                assert_batch_equals_stream(&AroonOsc::new(p.max(2)), &[&h, &l]);
                assert_batch_equals_stream(&UltOsc::new(p, 2 * p, 4 * p), &[&h, &l, &c]);
                assert_batch_equals_stream(&Mfi::new(p.max(2)), &[&h, &l, &c, &vol]);
            }
        }
    }

    #[test]
    fn chunked_batches_equal_stream() {
        // Longer than the batch chunks, with flat stretches (null runs) and NaNs.
        let mut c = walk(7000, 23, true);
        for v in &mut c[3000..3100] {
            *v = 100.0;
        }
        let h: Vec<f64> = c.iter().map(|v| v + 0.25).collect();
        let l: Vec<f64> = c.iter().map(|v| v - 0.25).collect();
        let (mut hf, mut lf) = (h.clone(), l.clone());
        hf[3000..3100].fill(100.0);
        lf[3000..3100].fill(100.0);
        let vol: Vec<f64> = (0..c.len()).map(|i| 10.0 + (i % 3) as f64).collect();
        for (h, l) in [(&h, &l), (&hf, &lf)] {
            assert_batch_equals_stream(&UltOsc::new(7, 14, 28), &[h, l, &c]);
            assert_batch_equals_stream(&UltOsc::new(1, 2, 3), &[h, l, &c]);
            assert_batch_equals_stream(&Mfi::new(14), &[h, l, &c, &vol]);
            assert_batch_equals_stream(&Mfi::new(2), &[h, l, &c, &vol]);
            assert_batch_equals_stream(&Cci::new(20), &[h, l, &c]);
        }
    }

    #[test]
    fn short_columns_batch_equals_stream() {
        let c = walk(40, 22, false);
        let h: Vec<f64> = c.iter().map(|v| v + 0.5).collect();
        let l: Vec<f64> = c.iter().map(|v| v - 0.5).collect();
        for m in 0..c.len() {
            let (h, l, c) = (&h[..m], &l[..m], &c[..m]);
            for slow in [1, 3] {
                let stoch = Stoch::new(5, slow, MaType::Sma, slow, MaType::Ema);
                assert_batch_equals_stream(&stoch, &[h, l, c]);
                assert_batch_equals_stream(&StochF::new(5, slow, MaType::Sma), &[h, l, c]);
                assert_batch_equals_stream(&StochRsi::new(5, 5, slow, MaType::Sma), &[c]);
            }
            assert_batch_equals_stream(&Aroon::new(5), &[h, l]);
            assert_batch_equals_stream(&AroonOsc::new(5), &[h, l]);
            assert_batch_equals_stream(&WillR::new(5), &[h, l, c]);
            assert_batch_equals_stream(&Cci::new(5), &[h, l, c]);
            assert_batch_equals_stream(&UltOsc::new(2, 4, 7), &[h, l, c]);
            assert_batch_equals_stream(&Mfi::new(5), &[h, l, c, c]);
        }
    }
}
