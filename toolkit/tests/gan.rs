//! A GAN's training, in a process of its own: the test draws from the
//! device's seeded random numbers, which tests running in parallel in one
//! process would draw from too, in an order that changes from run to run.

use fireside::prelude::*;

#[test]
fn a_gan_learns_a_shifted_gaussian() {
    fireside::device::seed(3);
    let generator = Sequential::with_input([4])
        .add(Dense::new(16).activation(Activation::Relu))
        .unwrap()
        .add(Dense::new(1))
        .unwrap();
    let discriminator = Sequential::with_input([1])
        .add(Dense::new(16).activation(Activation::Relu))
        .unwrap()
        .add(Dense::new(1).activation(Activation::Sigmoid))
        .unwrap();
    let mut gan = Gan::new(generator, discriminator)
        .unwrap()
        .optimizers(Optimizer::adam().learning_rate(2e-3), Optimizer::adam().learning_rate(2e-3));
    let device = device();
    for _ in 0..800 {
        let real = Tensor::<2>::random([64, 1], Distribution::Normal(3.0, 0.5), &device);
        gan.discriminator_step(real, gan.noise(64));
        gan.generator_step(gan.noise(64));
    }
    let samples = gan.sample(2000).values();
    let mean = samples.iter().sum::<f32>() / samples.len() as f32;
    assert!((mean - 3.0).abs() < 0.4, "generated mean {mean}");
}
