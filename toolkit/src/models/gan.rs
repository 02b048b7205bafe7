//! Generative adversarial networks (seed E §3.3): a generator G(z; θ_g)
//! that turns noise z ~ N(0, I) into examples, and a discriminator
//! D(x; θ_d) ∈ (0, 1) that tells real examples from generated ones. They
//! train in turns, each with its own optimizer:
//!
//! - discriminator step: minimise −[mean ln D(x) + mean ln(1 − D(G(z)))],
//!   with G fixed (its output detached);
//! - generator step: minimise −mean ln D(G(z)) (the "non-saturating" loss of
//!   Goodfellow et al., which still has a gradient when D rejects G's output),
//!   with D fixed (only G's parameters are stepped).
//!
//! Each step is a forward pass, a loss, `backward` and an optimizer step,
//! exactly as in a hand-written burn loop; [`Gan`] only keeps the two
//! networks and their optimizer states together.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let generator = Sequential::with_input([8]).add(Dense::new(32).activation(Activation::Relu))?.add(Dense::new(2))?;
//! let discriminator = Sequential::with_input([2])
//!     .add(Dense::new(32).activation(Activation::Relu))?
//!     .add(Dense::new(1).activation(Activation::Sigmoid))?;
//! let mut gan = Gan::new(generator, discriminator).unwrap();
//! let real = Tensor::<2>::random([64, 2], Distribution::Normal(3.0, 0.5), &device());
//! let d_loss = gan.discriminator_step(real, gan.noise(64));
//! let g_loss = gan.generator_step(gan.noise(64));
//! let samples = gan.sample(10);   // (10, 2)
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::losses;
use crate::model::Sequential;
use crate::optimizers::{Optimizer, Rule};
use crate::tensor_view::Values;
use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Distribution, Tensor};

/// Why two networks do not make a GAN.
///
/// ```
/// use fireside::prelude::*;
/// use fireside::gan::GanError;
/// let generator = Sequential::with_input([4]).add(Dense::new(3))?;
/// let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
/// let error = Gan::new(generator, discriminator).unwrap_err();
/// assert!(matches!(error, GanError::ShapeMismatch { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GanError {
    /// The generator does not take a flat noise vector.
    #[error(
        "the generator takes inputs of shape {0:?}; it must take a noise vector, e.g. Sequential::with_input([noise_dim])"
    )]
    NoiseNotFlat(Vec<usize>),
    /// The generator's output does not fit the discriminator's input.
    #[error(
        "the generator makes examples of shape {generated:?}, but the discriminator takes {expected:?}; make the generator's last layer produce what the discriminator reads"
    )]
    ShapeMismatch { generated: Vec<usize>, expected: Vec<usize> },
    /// The discriminator does not output one probability per example.
    #[error(
        "the discriminator outputs shape {0:?}; it must end with Dense::new(1).activation(Activation::Sigmoid), the probability that an example is real"
    )]
    NotOneProbability(Vec<usize>),
}

/// A generator and a discriminator (both [`Sequential`], flat examples),
/// with an optimizer each. Default optimizers: Adam with learning rate
/// 2·10⁻⁴ and β₁ = 0.5, the DCGAN setting (Radford et al.).
///
/// ```
/// use fireside::prelude::*;
/// let generator = Sequential::with_input([4]).add(Dense::new(2))?;
/// let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
/// let gan = Gan::new(generator, discriminator).unwrap();
/// assert_eq!(gan.noise_dim(), 4);
/// assert_eq!(gan.sample(5).dims(), [5, 2]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Gan {
    /// G: noise (N, noise_dim) → examples (N, features).
    pub generator: Sequential,
    /// D: examples (N, features) → probability of being real (N, 1).
    pub discriminator: Sequential,
    /// The generator's update rule and learning rate.
    pub g_optimizer: Optimizer,
    /// The discriminator's update rule and learning rate.
    pub d_optimizer: Optimizer,
    g_state: ModuleOptimizer,
    d_state: ModuleOptimizer,
}

impl std::fmt::Debug for Gan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gan")
            .field("generator", &self.generator.summary().to_string())
            .field("discriminator", &self.discriminator.summary().to_string())
            .field("g_optimizer", &self.g_optimizer)
            .field("d_optimizer", &self.d_optimizer)
            .finish()
    }
}

fn dcgan_adam() -> Optimizer {
    Optimizer { rule: Rule::Adam { beta_1: 0.5, beta_2: 0.999, epsilon: 1e-7 }, ..Optimizer::adam() }
        .learning_rate(2e-4)
}

impl Gan {
    /// Pairs a generator with a discriminator after checking that G's
    /// output is D's input and D outputs one number per example.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let generator = Sequential::with_input([16]).add(Dense::new(784).activation(Activation::Sigmoid))?;
    /// let discriminator = Sequential::with_input([784]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// assert!(Gan::new(generator, discriminator).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(generator: Sequential, discriminator: Sequential) -> Result<Self, GanError> {
        if generator.input_shape().len() != 1 {
            return Err(GanError::NoiseNotFlat(generator.input_shape().to_vec()));
        }
        if generator.output_shape() != discriminator.input_shape() {
            return Err(GanError::ShapeMismatch {
                generated: generator.output_shape().to_vec(),
                expected: discriminator.input_shape().to_vec(),
            });
        }
        if discriminator.output_shape() != [1] {
            return Err(GanError::NotOneProbability(discriminator.output_shape().to_vec()));
        }
        let (g_optimizer, d_optimizer) = (dcgan_adam(), dcgan_adam());
        Ok(Gan {
            generator,
            discriminator,
            g_state: g_optimizer.init(),
            d_state: d_optimizer.init(),
            g_optimizer,
            d_optimizer,
        })
    }

    /// Replaces both optimizers (their states start afresh).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(generator, discriminator).unwrap()
    ///     .optimizers(Optimizer::adam().learning_rate(1e-3), Optimizer::sgd(0.01));
    /// assert_eq!(gan.d_optimizer.name(), "SGD");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn optimizers(mut self, generator: Optimizer, discriminator: Optimizer) -> Self {
        self.g_state = generator.init();
        self.d_state = discriminator.init();
        self.g_optimizer = generator;
        self.d_optimizer = discriminator;
        self
    }

    /// The length of the noise vector z.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(Sequential::with_input([100]).add(Dense::new(2))?, discriminator).unwrap();
    /// assert_eq!(gan.noise_dim(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn noise_dim(&self) -> usize {
        self.generator.input_shape()[0]
    }

    /// A batch of noise z ~ N(0, I), shape (n, noise_dim), on the toolkit's
    /// device (seeded by `fireside::device::seed`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// # let gan = Gan::new(generator, discriminator).unwrap();
    /// assert_eq!(gan.noise(3).dims(), [3, 4]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn noise(&self, n: usize) -> Tensor<2> {
        Tensor::random([n, self.noise_dim()], Distribution::Normal(0.0, 1.0), &crate::device::device())
    }

    /// One step of the discriminator on a batch of real examples and a
    /// batch of noise: loss −[mean ln D(x) + mean ln(1 − D(G(z)))], G held
    /// fixed. Returns the loss (2 ln 2 ≈ 1.386 when D cannot tell them apart).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let mut gan = Gan::new(generator, discriminator).unwrap();
    /// let real = Tensor::<2>::ones([8, 2], &device());
    /// let loss = gan.discriminator_step(real, gan.noise(8));
    /// assert!(loss.is_finite() && loss > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discriminator_step(&mut self, real: Tensor<2>, noise: Tensor<2>) -> f32 {
        // detach: this step must not push gradients into the generator.
        let fake = self.generator.forward_flat(noise).detach();
        let discriminator = std::mem::take(&mut self.discriminator);
        let p_real = discriminator.forward_flat(real);
        let p_fake = discriminator.forward_flat(fake);
        let loss = losses::binary_cross_entropy(p_real.clone(), p_real.ones_like())
            + losses::binary_cross_entropy(p_fake.clone(), p_fake.zeros_like());
        let grads = GradientsParams::from_grads(loss.backward(), &discriminator);
        self.discriminator = self.d_state.step(self.d_optimizer.learning_rate, discriminator, grads);
        loss.into_scalar()
    }

    /// One step of the generator: loss −mean ln D(G(z)); the gradient flows
    /// back through D into G, and only G's parameters are updated. Returns
    /// the loss (ln 2 ≈ 0.693 when D answers ½).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let mut gan = Gan::new(generator, discriminator).unwrap();
    /// let loss = gan.generator_step(gan.noise(8));
    /// assert!(loss.is_finite() && loss > 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generator_step(&mut self, noise: Tensor<2>) -> f32 {
        let generator = std::mem::take(&mut self.generator);
        let p_fake = self.discriminator.forward_flat(generator.forward_flat(noise));
        let loss = losses::binary_cross_entropy(p_fake.clone(), p_fake.ones_like());
        // Gradients reach D's parameters too; taking G's alone leaves D as it is.
        let grads = GradientsParams::from_grads(loss.backward(), &generator);
        self.generator = self.g_state.step(self.g_optimizer.learning_rate, generator, grads);
        loss.into_scalar()
    }

    /// G(z) for n fresh noise vectors, without autodiff history: (n, features).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(3))?;
    /// # let discriminator = Sequential::with_input([3]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(generator, discriminator).unwrap();
    /// assert_eq!(gan.sample(7).dims(), [7, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn sample(&self, n: usize) -> Tensor<2> {
        self.generate(self.noise(n))
    }

    /// G(z) for the given noise (e.g. the same z throughout training, to
    /// watch the same samples improve), without autodiff history.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(3))?;
    /// # let discriminator = Sequential::with_input([3]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(generator, discriminator).unwrap();
    /// let z = gan.noise(2);
    /// assert_eq!(gan.generate(z.clone()).values(), gan.generate(z).values());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate(&self, noise: Tensor<2>) -> Tensor<2> {
        self.generator.valid().forward_flat(noise.inner())
    }

    /// D(x): the probability that each example is real, (n, 1), without autodiff history.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(generator, discriminator).unwrap();
    /// let p = gan.discriminate(gan.sample(4)).values();
    /// assert!(p.iter().all(|&p| (0.0..=1.0).contains(&p)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discriminate(&self, examples: Tensor<2>) -> Tensor<2> {
        self.discriminator.valid().forward_flat(examples.inner())
    }

    /// How often D is right on `real` (D(x) > ½) and on as many generated
    /// examples (D(G(z)) < ½), together: 1.0 when it tells them apart
    /// perfectly, about 0.5 when the generator fools it.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// # let generator = Sequential::with_input([4]).add(Dense::new(2))?;
    /// # let discriminator = Sequential::with_input([2]).add(Dense::new(1).activation(Activation::Sigmoid))?;
    /// let gan = Gan::new(generator, discriminator).unwrap();
    /// let accuracy = gan.discriminator_accuracy(Tensor::<2>::ones([16, 2], &device()));
    /// assert!((0.0..=1.0).contains(&accuracy));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn discriminator_accuracy(&self, real: Tensor<2>) -> f32 {
        let n = real.dims()[0];
        let on_real = self.discriminate(real).values();
        let on_fake = self.discriminate(self.sample(n)).values();
        let right =
            on_real.iter().filter(|&&p| p > 0.5).count() + on_fake.iter().filter(|&&p| p < 0.5).count();
        right as f32 / (2 * n).max(1) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn shapes_are_checked() {
        let generator = Sequential::with_input([4]).add(Dense::new(2)).unwrap();
        let discriminator = Sequential::with_input([2]).add(Dense::new(3)).unwrap();
        let error = Gan::new(generator, discriminator).unwrap_err();
        assert_eq!(error, GanError::NotOneProbability(vec![3]));
        assert!(error.to_string().contains("Dense::new(1)"));
    }
}
