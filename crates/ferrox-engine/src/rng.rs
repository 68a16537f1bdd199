//! The one deterministic generator of the engine (latency draws, Monte Carlo
//! risk): xoshiro256** (Blackman & Vigna 2018, <https://prng.di.unimi.it/>),
//! seeded through SplitMix64, with Box–Muller normals. Written out rather than
//! pulled from `rand` so results depend on nothing but the seed and this file.

/// xoshiro256**: 256 bits of state, period 2²⁵⁶ − 1, passes BigCrush.
#[derive(Debug, Clone)]
pub struct Xoshiro256StarStar {
    s: [u64; 4],
    spare_normal: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Xoshiro256StarStar {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn seed_from_u64(seed: u64) -> Self {
        let mut state = seed;
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Self {
            s,
            spare_normal: None,
        }
    }

    /// Same as [`Self::seed_from_u64`].
    pub fn new(seed: u64) -> Self {
        Self::seed_from_u64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform draw in (0, 1]: never 0, so its logarithm is finite.
    pub fn next_open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (Box–Muller; the second of each pair is kept
    /// for the next call).
    pub fn next_normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let radius = (-2.0 * self.next_open_unit().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.next_open_unit();
        let (sin, cos) = angle.sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let mut a = Xoshiro256StarStar::seed_from_u64(42);
        let mut b = Xoshiro256StarStar::seed_from_u64(42);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        assert_ne!(
            Xoshiro256StarStar::seed_from_u64(1).next_u64(),
            Xoshiro256StarStar::seed_from_u64(2).next_u64()
        );
    }

    #[test]
    fn normals_have_unit_moments() {
        let mut g = Xoshiro256StarStar::seed_from_u64(7);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| g.next_normal()).collect();
        let mean = draws.iter().sum::<f64>() / n as f64;
        let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        // Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
        assert!(mean.abs() < 0.011, "{mean}");
        assert!((var - 1.0).abs() < 0.016, "{var}");
    }

    #[test]
    fn uniforms_stay_in_the_open_closed_unit_interval() {
        let mut g = Xoshiro256StarStar::seed_from_u64(3);
        for _ in 0..10_000 {
            let u = g.next_open_unit();
            assert!(u > 0.0 && u <= 1.0);
        }
    }
}
