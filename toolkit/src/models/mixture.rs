//! Gaussian mixture models fitted by expectation–maximization (seed D §5),
//! scikit-learn's `GaussianMixture` with full covariances.
//!
//! The parameters are θ = (μ_k, P_k, π_k) for k = 1..K: each component's
//! mean, covariance matrix and weight (prior). The density of a point is
//! p(x | θ) = Σ_k π_k N(x | μ_k, P_k), and EM climbs the log-likelihood
//! Σ_i ln p(x_i | θ) one E step (responsibilities) and M step (weighted
//! means and covariances) at a time.
//!
//! The arithmetic is plain `f64` on the CPU: the matrices are d × d for
//! points of a few dimensions, where a GPU would only add latency.
//!
//! ```
//! use fireside::prelude::*;
//! let points: Vec<[f64; 2]> = (0..100)
//!     .map(|i| { let t = i as f64 * 0.37; let c = if i % 2 == 0 { 0.0 } else { 10.0 }; [c + t.sin(), c + t.cos()] })
//!     .collect();
//! let mut gmm = GaussianMixture::new(2).seed(1);
//! let report = gmm.fit(&points).unwrap();
//! assert!(report.converged);
//! let mut xs: Vec<f64> = gmm.means().iter().map(|m| m[0]).collect();
//! xs.sort_by(f64::total_cmp);
//! assert!(xs[0].abs() < 0.5 && (xs[1] - 10.0).abs() < 0.5);
//! ```

use crate::display::{MimeBundle, Rich};
use crate::plot::Plot;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Why a mixture cannot be fitted or used.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::mixture::MixtureError;
/// let error = GaussianMixture::new(3).fit(&[[0.0, 1.0], [1.0, 0.0]]).unwrap_err();
/// assert!(matches!(error, MixtureError::TooFewPoints { components: 3, points: 2 }));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MixtureError {
    /// Zero components were asked for.
    #[error("a mixture needs at least one component; use GaussianMixture::new(k) with k ≥ 1")]
    NoComponents,
    /// Fewer points than components: some component would have no data.
    #[error(
        "{components} components need at least {components} points, but there are {points}; use fewer components or more points"
    )]
    TooFewPoints { components: usize, points: usize },
    /// A point has another dimension than the first one.
    #[error(
        "point {index} has {got} coordinates, but point 0 has {expected}; every point needs the same dimension"
    )]
    MixedDimensions { index: usize, expected: usize, got: usize },
    /// A point has no coordinates at all.
    #[error("the points have no coordinates; give each point at least one")]
    ZeroDimension,
    /// A covariance matrix is not positive definite (a component collapsed).
    #[error(
        "the covariance of component {component} is singular (a component collapsed onto a point or a line); raise reg_covar (now {reg_covar:e}), use fewer components, or drop duplicate points"
    )]
    SingularCovariance { component: usize, reg_covar: f64 },
    /// The mixture is used before `fit` (or `from_parameters`) set its parameters.
    #[error("the mixture has no parameters yet; call fit(&points) first")]
    NotFitted,
    /// Parameters given by hand do not fit together.
    #[error("invalid parameters: {0}")]
    InvalidParameters(String),
    /// A plot needs 2-D points.
    #[error("plot draws 2-D points, but these have {0} coordinates; plot two of them")]
    NotTwoDimensional(usize),
}

/// What [`GaussianMixture::fit`] did: the log-likelihood after each
/// iteration, and whether it converged.
///
/// ```
/// use fireside::prelude::*;
/// let points = [[0.0, 0.1], [0.2, -0.1], [5.0, 5.1], [5.2, 4.9], [0.1, 0.0], [4.9, 5.0]];
/// let report = GaussianMixture::new(2).fit(&points).unwrap();
/// assert_eq!(report.log_likelihoods.len(), report.iterations + 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FitReport {
    /// ln L(θ) = Σ_i ln p(x_i | θ): at the initial parameters, then after each EM iteration.
    pub log_likelihoods: Vec<f64>,
    /// The number of EM iterations run.
    pub iterations: usize,
    /// Whether the mean log-likelihood per point changed by less than `tol` in the last iteration.
    pub converged: bool,
}

impl FitReport {
    /// The final log-likelihood.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let report = GaussianMixture::new(1).fit(&[[0.0], [1.0], [2.0]]).unwrap();
    /// assert!(report.log_likelihood().is_finite());
    /// ```
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihoods.last().copied().unwrap_or(f64::NEG_INFINITY)
    }

    /// Whether the log-likelihood never went down (EM's guarantee), allowing
    /// `slack` per step for rounding and for `reg_covar`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let report = GaussianMixture::new(2).fit(&[[0.0], [0.2], [5.0], [5.3], [0.1]]).unwrap();
    /// assert!(report.is_monotone(1e-6));
    /// ```
    pub fn is_monotone(&self, slack: f64) -> bool {
        self.log_likelihoods.windows(2).all(|w| w[1] >= w[0] - slack)
    }

    /// The log-likelihood against the iteration, as a plot.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let report = GaussianMixture::new(1).fit(&[[0.0], [1.0], [3.0]]).unwrap();
    /// assert!(report.plot().to_svg().contains("log-likelihood"));
    /// ```
    pub fn plot(&self) -> Plot {
        let xs: Vec<f32> = (0..self.log_likelihoods.len()).map(|i| i as f32).collect();
        let ys: Vec<f32> = self.log_likelihoods.iter().map(|&l| l as f32).collect();
        Plot::new("EM: log-likelihood per iteration")
            .x_label("iteration")
            .y_label("log-likelihood")
            .line("ln L(θ)", &xs, &ys)
    }
}

impl std::fmt::Display for FitReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "EM {} after {} iterations, log-likelihood {:.4}",
            if self.converged { "converged" } else { "stopped (max_iter)" },
            self.iterations,
            self.log_likelihood()
        )
    }
}

impl Rich for FitReport {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(self.to_string()).with("image/svg+xml", self.plot().to_svg())
    }
}

/// The fitted parameters θ = (μ_k, P_k, π_k), with each P_k's Cholesky factor.
#[derive(Debug, Clone, PartialEq)]
struct Parameters {
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    covariances: Vec<Vec<Vec<f64>>>,
    /// Lower-triangular L_k with L_k L_kᵀ = P_k.
    choleskys: Vec<Vec<Vec<f64>>>,
}

/// A mixture of K Gaussians with full covariance matrices, fitted by EM.
/// Options as in scikit-learn: `max_iter` 100, `tol` 1e-3, `reg_covar` 1e-6,
/// k-means++ initialisation seeded by `seed`.
///
/// ```
/// use fireside::prelude::*;
/// let points = [[0.0, 0.0], [0.1, 0.2], [0.2, 0.1], [4.0, 4.0], [4.1, 4.2], [3.9, 4.1]];
/// let mut gmm = GaussianMixture::new(2).max_iter(50).tol(1e-6).seed(7);
/// gmm.fit(&points).unwrap();
/// let labels = gmm.predict(&points).unwrap();
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianMixture {
    components: usize,
    max_iter: usize,
    tol: f64,
    seed: u64,
    reg_covar: f64,
    parameters: Option<Parameters>,
}

/// Points as slices of coordinates: `&[[f64; 2]]`, `&[Vec<f64>]`, …
fn check_points<P: AsRef<[f64]>>(points: &[P]) -> Result<usize, MixtureError> {
    let dim = points.first().map_or(0, |p| p.as_ref().len());
    if let Some(first) = points.first()
        && first.as_ref().is_empty()
    {
        return Err(MixtureError::ZeroDimension);
    }
    for (index, point) in points.iter().enumerate() {
        let got = point.as_ref().len();
        if got != dim {
            return Err(MixtureError::MixedDimensions { index, expected: dim, got });
        }
    }
    Ok(dim)
}

/// The lower-triangular L with L Lᵀ = a, or `None` if a is not positive definite.
fn cholesky(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let n = a.len();
    let mut l = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let diagonal = a[i][i] - sum;
                if diagonal <= 0.0 || !diagonal.is_finite() {
                    return None;
                }
                l[i][j] = diagonal.sqrt();
            } else {
                l[i][j] = (a[i][j] - sum) / l[j][j];
            }
        }
    }
    Some(l)
}

/// ln N(x | μ, L Lᵀ) = −½ (d ln 2π + ln det P + (x − μ)ᵀ P⁻¹ (x − μ)),
/// with ln det P = 2 Σ ln L_ii and the quadratic form |L⁻¹(x − μ)|².
fn log_gaussian(x: &[f64], mean: &[f64], l: &[Vec<f64>]) -> f64 {
    let d = x.len();
    // Forward substitution: solve L y = x − μ.
    let mut y = vec![0.0; d];
    for i in 0..d {
        let sum: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (x[i] - mean[i] - sum) / l[i][i];
    }
    let mahalanobis: f64 = y.iter().map(|v| v * v).sum();
    let log_det: f64 = 2.0 * (0..d).map(|i| l[i][i].ln()).sum::<f64>();
    -0.5 * (d as f64 * (2.0 * std::f64::consts::PI).ln() + log_det + mahalanobis)
}

/// ln Σ exp(v), without overflow.
fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// A standard normal number (Box–Muller): rand 0.9 has no normal distribution without rand_distr.
fn standard_normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln stays finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

impl GaussianMixture {
    /// A mixture of `components` Gaussians, not fitted yet (scikit-learn:
    /// `GaussianMixture(n_components=k)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::new(3);
    /// assert_eq!(gmm.components(), 3);
    /// assert!(gmm.means().is_empty());   // no parameters before fit
    /// ```
    pub fn new(components: usize) -> Self {
        GaussianMixture { components, max_iter: 100, tol: 1e-3, seed: 0, reg_covar: 1e-6, parameters: None }
    }

    /// A mixture with parameters θ = (π_k, μ_k, P_k) given by hand, e.g. to
    /// sample from a known mixture or to start EM from a chosen point.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::from_parameters(
    ///     vec![0.5, 0.5],
    ///     vec![vec![0.0, 0.0], vec![3.0, 3.0]],
    ///     vec![vec![vec![1.0, 0.0], vec![0.0, 1.0]]; 2],
    /// ).unwrap();
    /// let (points, labels) = gmm.sample(100, 1).unwrap();
    /// assert_eq!((points.len(), labels.len()), (100, 100));
    /// ```
    pub fn from_parameters(
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        covariances: Vec<Vec<Vec<f64>>>,
    ) -> Result<Self, MixtureError> {
        let k = weights.len();
        if k == 0 {
            return Err(MixtureError::NoComponents);
        }
        if means.len() != k || covariances.len() != k {
            return Err(MixtureError::InvalidParameters(format!(
                "{k} weights, {} means and {} covariances: give one of each per component",
                means.len(),
                covariances.len()
            )));
        }
        let total: f64 = weights.iter().sum();
        if weights.iter().any(|&w| w < 0.0) || (total - 1.0).abs() > 1e-6 {
            return Err(MixtureError::InvalidParameters(format!(
                "the weights must be non-negative and sum to 1, they sum to {total}"
            )));
        }
        let d = check_points(&means)?;
        for (c, cov) in covariances.iter().enumerate() {
            if cov.len() != d || cov.iter().any(|row| row.len() != d) {
                return Err(MixtureError::InvalidParameters(format!(
                    "covariance {c} must be {d} × {d}, like the means"
                )));
            }
        }
        let mut gmm = GaussianMixture::new(k);
        gmm.parameters = Some(gmm.factorize(weights, means, covariances)?);
        Ok(gmm)
    }

    /// The most EM iterations `fit` runs (default 100).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let report = GaussianMixture::new(2).max_iter(1).tol(0.0).fit(&[[0.0], [1.0], [5.0], [6.0]]).unwrap();
    /// assert_eq!(report.iterations, 1);
    /// ```
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Convergence threshold on the change of the mean log-likelihood per point (default 1e-3).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::new(2).tol(1e-6);
    /// # let _ = gmm;
    /// ```
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Seed of the k-means++ initialisation (default 0): the same seed, the same fit.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let points = [[0.0], [0.3], [4.0], [4.4], [9.0], [9.1]];
    /// let (mut a, mut b) = (GaussianMixture::new(3).seed(5), GaussianMixture::new(3).seed(5));
    /// assert_eq!(a.fit(&points).unwrap(), b.fit(&points).unwrap());
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Added to the diagonal of each covariance (default 1e-6), so that a
    /// component on few points stays invertible.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::new(2).reg_covar(1e-3);
    /// # let _ = gmm;
    /// ```
    pub fn reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// The number of components K.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(GaussianMixture::new(4).components(), 4);
    /// ```
    pub fn components(&self) -> usize {
        self.components
    }

    /// The means μ_k (empty before `fit`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(1);
    /// gmm.fit(&[[1.0, 2.0], [3.0, 4.0]]).unwrap();
    /// let mean = &gmm.means()[0];
    /// assert!((mean[0] - 2.0).abs() < 1e-9 && (mean[1] - 3.0).abs() < 1e-9);
    /// ```
    pub fn means(&self) -> &[Vec<f64>] {
        self.parameters.as_ref().map_or(&[], |p| &p.means)
    }

    /// The covariance matrices P_k, d × d each (empty before `fit`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(1).reg_covar(0.0);
    /// gmm.fit(&[[1.0], [3.0]]).unwrap();
    /// let variance = gmm.covariances()[0][0][0];
    /// assert!((variance - 1.0).abs() < 1e-9);   // the biased variance, (1 + 1) / 2
    /// ```
    pub fn covariances(&self) -> &[Vec<Vec<f64>>] {
        self.parameters.as_ref().map_or(&[], |p| &p.covariances)
    }

    /// The weights (priors) π_k, which sum to 1 (empty before `fit`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(1);
    /// gmm.fit(&[[1.0], [3.0]]).unwrap();
    /// assert_eq!(gmm.weights(), [1.0]);
    /// ```
    pub fn weights(&self) -> &[f64] {
        self.parameters.as_ref().map_or(&[], |p| &p.weights)
    }

    /// The dimension of the points (0 before `fit`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(1);
    /// gmm.fit(&[[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]).unwrap();
    /// assert_eq!(gmm.dimension(), 3);
    /// ```
    pub fn dimension(&self) -> usize {
        self.means().first().map_or(0, Vec::len)
    }

    fn factorize(
        &self,
        weights: Vec<f64>,
        means: Vec<Vec<f64>>,
        covariances: Vec<Vec<Vec<f64>>>,
    ) -> Result<Parameters, MixtureError> {
        let choleskys = covariances
            .iter()
            .enumerate()
            .map(|(component, cov)| {
                cholesky(cov).ok_or(MixtureError::SingularCovariance { component, reg_covar: self.reg_covar })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Parameters { weights, means, covariances, choleskys })
    }

    fn parameters(&self) -> Result<&Parameters, MixtureError> {
        self.parameters.as_ref().ok_or(MixtureError::NotFitted)
    }

    /// ln π_k + ln N(x_i | μ_k, P_k) for every point and component.
    fn weighted_log_densities<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<Vec<Vec<f64>>, MixtureError> {
        let parameters = self.parameters()?;
        let d = check_points(points)?;
        if !points.is_empty() && d != self.dimension() {
            return Err(MixtureError::MixedDimensions { index: 0, expected: self.dimension(), got: d });
        }
        Ok(points
            .iter()
            .map(|x| {
                (0..parameters.weights.len())
                    .map(|k| {
                        parameters.weights[k].ln()
                            + log_gaussian(x.as_ref(), &parameters.means[k], &parameters.choleskys[k])
                    })
                    .collect()
            })
            .collect())
    }

    /// The log-likelihood ln L(θ) = Σ_i ln Σ_k π_k N(x_i | μ_k, P_k).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::from_parameters(vec![1.0], vec![vec![0.0]], vec![vec![vec![1.0]]]).unwrap();
    /// let expected = -0.5 * (2.0 * std::f64::consts::PI).ln();   // ln N(0 | 0, 1)
    /// assert!((gmm.log_likelihood(&[[0.0]]).unwrap() - expected).abs() < 1e-12);
    /// ```
    pub fn log_likelihood<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<f64, MixtureError> {
        Ok(self.weighted_log_densities(points)?.iter().map(|row| log_sum_exp(row)).sum())
    }

    /// The density p(x | θ) at one point.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::from_parameters(vec![1.0], vec![vec![0.0]], vec![vec![vec![1.0]]]).unwrap();
    /// assert!((gmm.density(&[0.0]).unwrap() - 0.3989422804).abs() < 1e-9);
    /// ```
    pub fn density(&self, point: &[f64]) -> Result<f64, MixtureError> {
        Ok(self.log_likelihood(&[point])?.exp())
    }

    /// The E step: the responsibilities γ_ik = π_k N(x_i | μ_k, P_k) / Σ_j π_j N(x_i | μ_j, P_j),
    /// the probability that point i came from component k (scikit-learn's `predict_proba`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(2);
    /// gmm.fit(&[[0.0], [0.1], [5.0], [5.1]]).unwrap();
    /// let gamma = gmm.predict_proba(&[[0.05]]).unwrap();
    /// assert!((gamma[0].iter().sum::<f64>() - 1.0).abs() < 1e-12);
    /// ```
    pub fn predict_proba<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<Vec<Vec<f64>>, MixtureError> {
        Ok(self.responsibilities(points)?.0)
    }

    /// Responsibilities and the log-likelihood they were computed at.
    fn responsibilities<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<(Vec<Vec<f64>>, f64), MixtureError> {
        let mut log_likelihood = 0.0;
        let gamma = self
            .weighted_log_densities(points)?
            .into_iter()
            .map(|row| {
                let total = log_sum_exp(&row);
                log_likelihood += total;
                row.iter().map(|v| (v - total).exp()).collect()
            })
            .collect();
        Ok((gamma, log_likelihood))
    }

    /// The most responsible component of each point (scikit-learn's `predict`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let mut gmm = GaussianMixture::new(2);
    /// gmm.fit(&[[0.0], [0.1], [5.0], [5.1]]).unwrap();
    /// let labels = gmm.predict(&[[0.0], [5.0]]).unwrap();
    /// assert_ne!(labels[0], labels[1]);
    /// ```
    pub fn predict<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<Vec<usize>, MixtureError> {
        Ok(self
            .predict_proba(points)?
            .iter()
            .map(|row| (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0))
            .collect())
    }

    /// The M step: the parameters that maximise the expected log-likelihood
    /// under responsibilities γ (N_k = Σ_i γ_ik):
    /// π_k = N_k / n, μ_k = Σ_i γ_ik x_i / N_k, P_k = Σ_i γ_ik (x_i − μ_k)(x_i − μ_k)ᵀ / N_k + reg_covar·I.
    fn maximize<P: AsRef<[f64]>>(
        &self,
        points: &[P],
        gamma: &[Vec<f64>],
    ) -> Result<Parameters, MixtureError> {
        let (n, d, k) = (points.len(), points[0].as_ref().len(), gamma[0].len());
        let mut weights = Vec::with_capacity(k);
        let mut means = Vec::with_capacity(k);
        let mut covariances = Vec::with_capacity(k);
        for c in 0..k {
            // A tiny floor keeps an empty component from dividing by zero (as scikit-learn does).
            let nk: f64 = gamma.iter().map(|g| g[c]).sum::<f64>() + 10.0 * f64::EPSILON;
            let mut mean = vec![0.0; d];
            for (x, g) in points.iter().zip(gamma) {
                for (m, v) in mean.iter_mut().zip(x.as_ref()) {
                    *m += g[c] * v;
                }
            }
            mean.iter_mut().for_each(|m| *m /= nk);
            let mut cov = vec![vec![0.0; d]; d];
            for (x, g) in points.iter().zip(gamma) {
                let diff: Vec<f64> = x.as_ref().iter().zip(&mean).map(|(v, m)| v - m).collect();
                for i in 0..d {
                    for j in 0..=i {
                        cov[i][j] += g[c] * diff[i] * diff[j];
                    }
                }
            }
            // Fill the upper triangle from the lower one, then regularise the diagonal.
            let lower = cov.clone();
            for (i, row) in cov.iter_mut().enumerate() {
                for (j, value) in row.iter_mut().enumerate() {
                    *value = if j <= i { lower[i][j] } else { lower[j][i] } / nk;
                }
                row[i] += self.reg_covar;
            }
            weights.push(nk / n as f64);
            means.push(mean);
            covariances.push(cov);
        }
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        self.factorize(weights, means, covariances)
    }

    /// One EM iteration from the current parameters: the E step
    /// (responsibilities), then the M step (new π, μ, P). Returns the
    /// log-likelihood *before* the step; EM guarantees the next one is not lower.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let points = [[0.0], [0.5], [4.0], [4.5]];
    /// let mut gmm = GaussianMixture::from_parameters(
    ///     vec![0.5, 0.5], vec![vec![1.0], vec![3.0]], vec![vec![vec![1.0]], vec![vec![1.0]]]).unwrap();
    /// let before = gmm.em_step(&points).unwrap();
    /// assert!(gmm.log_likelihood(&points).unwrap() >= before);
    /// ```
    pub fn em_step<P: AsRef<[f64]>>(&mut self, points: &[P]) -> Result<f64, MixtureError> {
        if points.is_empty() {
            return Err(MixtureError::TooFewPoints { components: self.components, points: 0 });
        }
        let (gamma, log_likelihood) = self.responsibilities(points)?;
        self.parameters = Some(self.maximize(points, &gamma)?);
        Ok(log_likelihood)
    }

    /// k-means++ centres, refined by a few rounds of k-means (Lloyd), as
    /// hard responsibilities: scikit-learn's default `init_params="kmeans"`.
    fn initial_responsibilities<P: AsRef<[f64]>>(&self, points: &[P]) -> Vec<Vec<f64>> {
        let (n, k) = (points.len(), self.components);
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut centres: Vec<Vec<f64>> = vec![points[rng.random_range(0..n)].as_ref().to_vec()];
        let mut nearest: Vec<f64> =
            points.iter().map(|x| squared_distance(x.as_ref(), &centres[0])).collect();
        while centres.len() < k {
            // k-means++: the next centre is drawn with probability ∝ D(x)², far from the others.
            let total: f64 = nearest.iter().sum();
            let chosen = if total > 0.0 {
                let mut target = rng.random::<f64>() * total;
                nearest
                    .iter()
                    .position(|&d| {
                        target -= d;
                        target < 0.0
                    })
                    .unwrap_or(n - 1)
            } else {
                rng.random_range(0..n)
            };
            let centre = points[chosen].as_ref().to_vec();
            for (x, d) in points.iter().zip(nearest.iter_mut()) {
                *d = d.min(squared_distance(x.as_ref(), &centre));
            }
            centres.push(centre);
        }
        let mut labels = vec![0; n];
        for _ in 0..10 {
            for (x, label) in points.iter().zip(labels.iter_mut()) {
                *label = (0..k)
                    .min_by(|&a, &b| {
                        squared_distance(x.as_ref(), &centres[a])
                            .total_cmp(&squared_distance(x.as_ref(), &centres[b]))
                    })
                    .unwrap_or(0);
            }
            for (c, centre) in centres.iter_mut().enumerate() {
                let members: Vec<&[f64]> =
                    points.iter().zip(&labels).filter(|(_, l)| **l == c).map(|(x, _)| x.as_ref()).collect();
                if !members.is_empty() {
                    for (i, value) in centre.iter_mut().enumerate() {
                        *value = members.iter().map(|m| m[i]).sum::<f64>() / members.len() as f64;
                    }
                }
            }
        }
        labels.iter().map(|&l| (0..k).map(|c| if c == l { 1.0 } else { 0.0 }).collect()).collect()
    }

    /// Fits θ to the points by EM: k-means++ initialisation, then E and M
    /// steps until the mean log-likelihood per point changes by less than
    /// `tol`, or `max_iter` iterations (scikit-learn's `fit`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let points = [[0.0, 0.0], [0.3, 0.1], [0.1, 0.4], [6.0, 6.0], [6.2, 5.8], [5.9, 6.3]];
    /// let mut gmm = GaussianMixture::new(2);
    /// let report = gmm.fit(&points).unwrap();
    /// assert!(report.is_monotone(1e-9));
    /// println!("{report}");
    /// ```
    pub fn fit<P: AsRef<[f64]>>(&mut self, points: &[P]) -> Result<FitReport, MixtureError> {
        if self.components == 0 {
            return Err(MixtureError::NoComponents);
        }
        check_points(points)?;
        if points.len() < self.components {
            return Err(MixtureError::TooFewPoints { components: self.components, points: points.len() });
        }
        let gamma = self.initial_responsibilities(points);
        self.parameters = Some(self.maximize(points, &gamma)?);
        let n = points.len() as f64;
        let mut log_likelihoods = vec![self.log_likelihood(points)?];
        let mut converged = false;
        let mut iterations = 0;
        while iterations < self.max_iter {
            self.em_step(points)?;
            iterations += 1;
            let now = self.log_likelihood(points)?;
            let change = (now - log_likelihoods[log_likelihoods.len() - 1]) / n;
            log_likelihoods.push(now);
            if change.abs() < self.tol {
                converged = true;
                break;
            }
        }
        Ok(FitReport { log_likelihoods, iterations, converged })
    }

    /// Draws `n` new points from the fitted density: a component k with
    /// probability π_k, then x = μ_k + L_k z with z ~ N(0, I) and L_k L_kᵀ = P_k.
    /// Returns the points and the component each came from (scikit-learn's `sample`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::from_parameters(vec![1.0], vec![vec![5.0]], vec![vec![vec![4.0]]]).unwrap();
    /// let (points, _) = gmm.sample(20_000, 3).unwrap();
    /// let mean = points.iter().map(|p| p[0]).sum::<f64>() / 20_000.0;
    /// let var = points.iter().map(|p| (p[0] - mean).powi(2)).sum::<f64>() / 20_000.0;
    /// assert!((mean - 5.0).abs() < 0.05 && (var - 4.0).abs() < 0.15);
    /// ```
    pub fn sample(&self, n: usize, seed: u64) -> Result<(Vec<Vec<f64>>, Vec<usize>), MixtureError> {
        let parameters = self.parameters()?;
        let mut rng = StdRng::seed_from_u64(seed);
        let d = self.dimension();
        let mut points = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let mut u = rng.random::<f64>();
            let k = parameters
                .weights
                .iter()
                .position(|&w| {
                    u -= w;
                    u < 0.0
                })
                .unwrap_or(parameters.weights.len() - 1);
            let z: Vec<f64> = (0..d).map(|_| standard_normal(&mut rng)).collect();
            let l = &parameters.choleskys[k];
            let x: Vec<f64> = (0..d)
                .map(|i| parameters.means[k][i] + (0..=i).map(|j| l[i][j] * z[j]).sum::<f64>())
                .collect();
            points.push(x);
            labels.push(k);
        }
        Ok((points, labels))
    }

    /// The contour at Mahalanobis distance `r` of component k (2-D only):
    /// the points μ_k + r L_k (cos t, sin t), an ellipse whose axes follow
    /// P_k's eigenvectors. r = 1 and 2 are the 1σ and 2σ ellipses.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let gmm = GaussianMixture::from_parameters(vec![1.0], vec![vec![0.0, 0.0]],
    ///     vec![vec![vec![4.0, 0.0], vec![0.0, 1.0]]]).unwrap();
    /// let (xs, ys) = gmm.ellipse(0, 1.0).unwrap();
    /// assert!(xs.iter().all(|x| x.abs() <= 2.0 + 1e-5) && ys.iter().all(|y| y.abs() <= 1.0 + 1e-5));
    /// ```
    pub fn ellipse(&self, component: usize, r: f64) -> Result<(Vec<f32>, Vec<f32>), MixtureError> {
        let parameters = self.parameters()?;
        if self.dimension() != 2 {
            return Err(MixtureError::NotTwoDimensional(self.dimension()));
        }
        let (mean, l) = (&parameters.means[component], &parameters.choleskys[component]);
        let steps = 72;
        let (mut xs, mut ys) = (Vec::with_capacity(steps + 1), Vec::with_capacity(steps + 1));
        for s in 0..=steps {
            let t = s as f64 / steps as f64 * std::f64::consts::TAU;
            let (u, v) = (r * t.cos(), r * t.sin());
            xs.push((mean[0] + l[0][0] * u) as f32);
            ys.push((mean[1] + l[1][0] * u + l[1][1] * v) as f32);
        }
        Ok((xs, ys))
    }

    /// The points, coloured by their most responsible component, with each
    /// component's mean and its 1σ and 2σ ellipses.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let points = [[0.0, 0.0], [0.3, 0.1], [0.1, 0.4], [6.0, 6.0], [6.2, 5.8], [5.9, 6.3]];
    /// let mut gmm = GaussianMixture::new(2);
    /// gmm.fit(&points).unwrap();
    /// assert!(gmm.plot(&points).unwrap().to_svg().contains("component 1"));
    /// ```
    pub fn plot<P: AsRef<[f64]>>(&self, points: &[P]) -> Result<Plot, MixtureError> {
        let labels = self.predict(points)?;
        if self.dimension() != 2 {
            return Err(MixtureError::NotTwoDimensional(self.dimension()));
        }
        let mut plot = Plot::new(format!("Gaussian mixture, K = {}: 1σ and 2σ ellipses", self.components))
            .x_label("x₁")
            .y_label("x₂");
        for k in 0..self.components {
            let (xs, ys): (Vec<f32>, Vec<f32>) = points
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == k)
                .map(|(p, _)| (p.as_ref()[0] as f32, p.as_ref()[1] as f32))
                .unzip();
            plot = plot.scatter(format!("component {k}"), &xs, &ys).color(k);
        }
        for k in 0..self.components {
            for r in [1.0, 2.0] {
                let (xs, ys) = self.ellipse(k, r)?;
                plot = plot.line("", &xs, &ys).color(k);
            }
            let mean = &self.means()[k];
            plot = plot.scatter("", &[mean[0] as f32], &[mean[1] as f32]).color(7);
        }
        Ok(plot)
    }
}

impl std::fmt::Display for GaussianMixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(parameters) = &self.parameters else {
            return write!(f, "GaussianMixture(K = {}, not fitted)", self.components);
        };
        writeln!(f, "GaussianMixture(K = {}, d = {})", self.components, self.dimension())?;
        for k in 0..self.components {
            let fmt_vec = |v: &[f64]| v.iter().map(|x| format!("{x:.3}")).collect::<Vec<_>>().join(", ");
            let cov: Vec<String> =
                parameters.covariances[k].iter().map(|row| format!("[{}]", fmt_vec(row))).collect();
            writeln!(
                f,
                "  π_{k} = {:.3}  μ_{k} = [{}]  P_{k} = [{}]",
                parameters.weights[k],
                fmt_vec(&parameters.means[k]),
                cov.join(", ")
            )?;
        }
        Ok(())
    }
}

impl Rich for GaussianMixture {
    fn to_mime(&self) -> MimeBundle {
        MimeBundle::text(self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth() -> GaussianMixture {
        GaussianMixture::from_parameters(
            vec![0.5, 0.3, 0.2],
            vec![vec![0.0, 0.0], vec![5.0, 1.0], vec![1.0, 5.0]],
            vec![
                vec![vec![1.0, 0.5], vec![0.5, 1.0]],
                vec![vec![0.6, 0.0], vec![0.0, 0.3]],
                vec![vec![0.4, -0.2], vec![-0.2, 0.8]],
            ],
        )
        .unwrap()
    }

    #[test]
    fn em_never_lowers_the_log_likelihood_and_recovers_the_means() {
        let (points, _) = truth().sample(1500, 11).unwrap();
        let mut gmm = GaussianMixture::new(3).reg_covar(0.0).tol(1e-8).max_iter(300).seed(3);
        let report = gmm.fit(&points).unwrap();
        assert!(report.is_monotone(1e-9), "{:?}", report.log_likelihoods);
        for mean in truth().means() {
            let closest = gmm.means().iter().map(|m| squared_distance(m, mean)).fold(f64::INFINITY, f64::min);
            assert!(closest < 0.05, "mean {mean:?} recovered within 0.22: {}", gmm);
        }
        // The fit is at least as likely as the truth on the data it saw.
        assert!(report.log_likelihood() >= truth().log_likelihood(&points).unwrap() - 1e-6);
    }

    #[test]
    fn one_step_matches_the_formulas() {
        let points = [[0.0], [1.0], [4.0]];
        let mut gmm = GaussianMixture::from_parameters(
            vec![0.5, 0.5],
            vec![vec![0.0], vec![4.0]],
            vec![vec![vec![1.0]]; 2],
        )
        .unwrap()
        .reg_covar(0.0);
        let gamma = gmm.predict_proba(&points).unwrap();
        let normal = |x: f64, m: f64| (-(x - m) * (x - m) / 2.0).exp();
        let g1 = normal(1.0, 0.0) / (normal(1.0, 0.0) + normal(1.0, 4.0));
        assert!((gamma[1][0] - g1).abs() < 1e-12);
        gmm.em_step(&points).unwrap();
        let n0 = gamma.iter().map(|g| g[0]).sum::<f64>();
        let mu0 = gamma.iter().zip(&points).map(|(g, x)| g[0] * x[0]).sum::<f64>() / n0;
        assert!((gmm.means()[0][0] - mu0).abs() < 1e-9);
        assert!((gmm.weights()[0] - n0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn errors_name_the_problem() {
        let mixed: Vec<Vec<f64>> = vec![vec![0.0, 1.0], vec![1.0]];
        assert_eq!(
            GaussianMixture::new(1).fit(&mixed).unwrap_err(),
            MixtureError::MixedDimensions { index: 1, expected: 2, got: 1 }
        );
        let same = [[1.0, 1.0]; 4];
        let error = GaussianMixture::new(2).reg_covar(0.0).fit(&same).unwrap_err();
        assert!(matches!(error, MixtureError::SingularCovariance { .. }));
        assert!(error.to_string().contains("raise reg_covar"));
        assert!(GaussianMixture::new(2).fit(&same).is_ok(), "reg_covar keeps it invertible");
        assert_eq!(GaussianMixture::new(2).sample(1, 0).unwrap_err(), MixtureError::NotFitted);
        assert_eq!(GaussianMixture::new(0).fit(&same).unwrap_err(), MixtureError::NoComponents);
    }

    #[test]
    fn samples_follow_the_covariance() {
        let (points, labels) = truth().sample(20_000, 5).unwrap();
        let first: Vec<&Vec<f64>> =
            points.iter().zip(&labels).filter(|(_, l)| **l == 0).map(|(p, _)| p).collect();
        let share = first.len() as f64 / 20_000.0;
        assert!((share - 0.5).abs() < 0.02);
        let covariance = first.iter().map(|p| p[0] * p[1]).sum::<f64>() / first.len() as f64;
        assert!((covariance - 0.5).abs() < 0.05, "{covariance}");
    }
}
