//! Optimizers with the defaults users know from Keras and PyTorch (burn's
//! own defaults differ: Adam ε = 1e-5, RMSprop momentum 0.9, momentum
//! dampening 0.1), turned into burn optimizers.
//!
//! ```no_run
//! use fireside::prelude::*;
//! let keras_adam = Optimizer::adam();                 // lr 0.001, ε 1e-7
//! let torch_sgd = Optimizer::sgd(0.01).momentum(0.9); // PyTorch SGD(momentum=0.9)
//! ```

use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, RmsPropConfig, SgdConfig};

/// Which update rule, with its hyper-parameters.
///
/// ```
/// use fireside::optimizers::{Optimizer, Rule};
/// let rule = Optimizer::adam().rule;
/// assert_eq!(rule, Rule::Adam { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// w ← w − η∇L (plain gradient descent; seed A 3.2.1).
    GradientDescent,
    /// v ← μv + ∇L; w ← w − ηv (PyTorch's SGD with momentum, no dampening).
    Momentum { momentum: f64, nesterov: bool },
    /// Adam (Kingma & Ba).
    Adam { beta_1: f32, beta_2: f32, epsilon: f32 },
    /// RMSprop: a running mean of squared gradients with decay `rho`.
    RmsProp { rho: f32, momentum: f32, epsilon: f32 },
}

/// An update rule, a learning rate and an optional L2 weight decay.
///
/// ```
/// use fireside::prelude::*;
/// // PyTorch: SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
/// let sgd = Optimizer::sgd(0.1).momentum(0.9).weight_decay(1e-4);
/// assert_eq!((sgd.name(), sgd.learning_rate), ("SGD", 0.1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Optimizer {
    /// The update rule and its hyper-parameters.
    pub rule: Rule,
    /// The step size η.
    pub learning_rate: f64,
    /// L2 penalty folded into the gradient (PyTorch's `weight_decay`).
    pub weight_decay: Option<f32>,
}

impl Optimizer {
    /// Plain gradient descent with learning rate `lr` (Keras's and PyTorch's `SGD`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let sgd = Optimizer::sgd(0.5);
    /// assert_eq!(sgd.learning_rate, 0.5);
    /// ```
    pub fn sgd(learning_rate: f64) -> Self {
        Optimizer { rule: Rule::GradientDescent, learning_rate, weight_decay: None }
    }

    /// Adds momentum (PyTorch's `SGD(momentum=μ)`, Keras's `SGD(momentum=μ)`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// use fireside::optimizers::Rule;
    /// let rule = Optimizer::sgd(0.01).momentum(0.9).rule;
    /// assert_eq!(rule, Rule::Momentum { momentum: 0.9, nesterov: false });
    /// ```
    pub fn momentum(mut self, momentum: f64) -> Self {
        self.rule = Rule::Momentum { momentum, nesterov: false };
        self
    }

    /// Keras's Adam: lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-7.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let adam = Optimizer::adam().learning_rate(0.01);   // Keras: Adam(learning_rate=0.01)
    /// assert_eq!(adam.name(), "Adam");
    /// ```
    pub fn adam() -> Self {
        Optimizer {
            rule: Rule::Adam { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7 },
            learning_rate: 1e-3,
            weight_decay: None,
        }
    }

    /// PyTorch's Adam: lr 0.001, β₁ 0.9, β₂ 0.999, ε 1e-8.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let adam = Optimizer::adam_torch();
    /// assert_eq!((adam.name(), adam.learning_rate), ("Adam", 1e-3));
    /// ```
    pub fn adam_torch() -> Self {
        Optimizer { rule: Rule::Adam { beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8 }, ..Self::adam() }
    }

    /// Keras's RMSprop: lr 0.001, ρ 0.9, no momentum, ε 1e-7.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let rmsprop = Optimizer::rmsprop();
    /// assert_eq!((rmsprop.name(), rmsprop.learning_rate), ("RMSprop", 1e-3));
    /// ```
    pub fn rmsprop() -> Self {
        Optimizer {
            rule: Rule::RmsProp { rho: 0.9, momentum: 0.0, epsilon: 1e-7 },
            learning_rate: 1e-3,
            weight_decay: None,
        }
    }

    /// PyTorch's RMSprop: lr 0.01, α 0.99, no momentum, ε 1e-8.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let rmsprop = Optimizer::rmsprop_torch();
    /// assert_eq!((rmsprop.name(), rmsprop.learning_rate), ("RMSprop", 1e-2));
    /// ```
    pub fn rmsprop_torch() -> Self {
        Optimizer {
            rule: Rule::RmsProp { rho: 0.99, momentum: 0.0, epsilon: 1e-8 },
            learning_rate: 1e-2,
            weight_decay: None,
        }
    }

    /// Sets the learning rate η, keeping the rule's other defaults.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let adam = Optimizer::adam().learning_rate(0.01);
    /// assert_eq!(adam.learning_rate, 0.01);
    /// ```
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.learning_rate = learning_rate;
        self
    }

    /// Adds an L2 penalty λ to the gradient, ∇L + λw (PyTorch's `weight_decay`;
    /// Keras puts it on layers instead, as `kernel_regularizer`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let sgd = Optimizer::sgd(0.1).weight_decay(5e-4);
    /// assert_eq!(sgd.weight_decay, Some(5e-4));
    /// ```
    pub fn weight_decay(mut self, penalty: f32) -> Self {
        self.weight_decay = Some(penalty);
        self
    }

    /// Keras's name.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(Optimizer::sgd(0.1).momentum(0.9).name(), "SGD");
    /// ```
    pub fn name(&self) -> &'static str {
        match self.rule {
            Rule::GradientDescent | Rule::Momentum { .. } => "SGD",
            Rule::Adam { .. } => "Adam",
            Rule::RmsProp { .. } => "RMSprop",
        }
    }

    /// The burn optimizer (its state starts empty), for a hand-written training
    /// loop; `Sequential::compile` calls it for you.
    ///
    /// ```no_run
    /// use fireside::prelude::*;
    /// let (optimizer, d) = (Optimizer::sgd(0.1), device());
    /// let (mut state, mut layer) = (optimizer.init(), Dense::new(1).build(2, &d));
    /// let loss = losses::mse(layer.forward(Tensor::<2>::ones([4, 2], &d)), Tensor::<2>::zeros([4, 1], &d));
    /// let grads = burn::optim::GradientsParams::from_grads(loss.backward(), &layer);
    /// layer = state.step(optimizer.learning_rate, layer, grads);   // PyTorch: optimizer.step()
    /// ```
    pub fn init(&self) -> ModuleOptimizer {
        let decay = self.weight_decay.map(WeightDecayConfig::new);
        match self.rule {
            Rule::GradientDescent => SgdConfig::new().with_weight_decay(decay).init(),
            Rule::Momentum { momentum, nesterov } => SgdConfig::new()
                .with_momentum(Some(
                    MomentumConfig::new().with_momentum(momentum).with_dampening(0.0).with_nesterov(nesterov),
                ))
                .with_weight_decay(decay)
                .init(),
            // The fused update (one pass a parameter on flex, burn's Adam elsewhere).
            Rule::Adam { beta_1, beta_2, epsilon } if decay.is_none() => {
                ModuleOptimizer::from(crate::fused::FusedAdam::new(beta_1, beta_2, epsilon))
            }
            Rule::Adam { beta_1, beta_2, epsilon } => AdamConfig::new()
                .with_beta_1(beta_1)
                .with_beta_2(beta_2)
                .with_epsilon(epsilon)
                .with_weight_decay(decay)
                .init(),
            Rule::RmsProp { rho, momentum, epsilon } => RmsPropConfig::new()
                .with_alpha(rho)
                .with_momentum(momentum)
                .with_epsilon(epsilon)
                .with_weight_decay(decay)
                .init(),
        }
    }
}
