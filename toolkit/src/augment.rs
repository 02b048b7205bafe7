//! Image augmentation on the fly: Keras's `ImageDataGenerator`.
//!
//! Each image of each batch gets its own random affine transform (rotation,
//! shift, shear, zoom) and random flips, so the network never sees exactly
//! the same picture twice and learns features that survive small changes of
//! viewpoint. The transforms run on the CPU with bilinear sampling, on
//! channels-first images (N, C, H, W) of any channel count.
//!
//! ```
//! use fireside::prelude::*;
//! // Keras: ImageDataGenerator(shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
//! let augment = ImageDataGenerator::new().shear_range(0.2).zoom_range(0.2).horizontal_flip(true);
//! let x = Tensor::<4>::random([8, 3, 32, 32], Distribution::Default, &device());
//! let y = Tensor::<1, Int>::zeros([8], &device());
//! let mut flow = augment.flow(x, y, 4)?;      // endless, shuffled, augmented batches
//! let (images, targets) = flow.next_batch();
//! assert_eq!(images.dims(), [4, 3, 32, 32]);
//! assert_eq!(targets.len(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::layers::Batch;
use crate::plot::ImageGrid;
use crate::training::{BatchSource, Targets};
use burn::tensor::{Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::sync::Mutex;

/// What fills the pixels that a transform brings in from outside the image
/// (Keras's `fill_mode`; its default is `Nearest`).
///
/// ```
/// use fireside::prelude::*;
/// use fireside::augment::FillMode;
/// let augment = ImageDataGenerator::new().rotation_range(30.0).fill_mode(FillMode::Constant(0.0));
/// assert_eq!(augment.fill_mode, FillMode::Constant(0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum FillMode {
    /// The nearest edge pixel is repeated (`aaaa|abcd|dddd`).
    #[default]
    Nearest,
    /// A constant value (Keras's `fill_mode='constant', cval=...`): `kkkk|abcd|kkkk`.
    Constant(f32),
    /// The image mirrored at its edge (`dcba|abcd|dcba`).
    Reflect,
    /// The image repeated (`abcd|abcd|abcd`).
    Wrap,
}

/// The parameters of one augmentation, as drawn by
/// [`ImageDataGenerator::random_transform`] and applied by
/// [`ImageDataGenerator::transform`] (Keras's `transform_parameters`).
/// `Transform::default()` is the identity.
///
/// The affine part maps each output pixel, relative to the image centre,
/// back to the input through zoom, then shear, then shift, then rotation
/// (Keras's order); the flips come after it.
///
/// ```
/// use fireside::augment::Transform;
/// let right_by_3 = Transform { shift_x: 3.0, ..Transform::default() };
/// assert!(!right_by_3.is_identity() && Transform::default().is_identity());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    /// Rotation in degrees; positive turns the picture counter-clockwise as shown.
    pub rotation: f32,
    /// Horizontal shift in pixels; positive moves the picture right.
    pub shift_x: f32,
    /// Vertical shift in pixels; positive moves the picture down.
    pub shift_y: f32,
    /// Shear angle in degrees (Keras's convention): horizontal lines tilt by
    /// this angle, vertical lines stay vertical.
    pub shear: f32,
    /// Horizontal zoom factor, Keras's convention: the output samples the
    /// input at `zoom_x` times the distance from the centre, so above 1 the
    /// picture shrinks (more of it shows), below 1 it is enlarged.
    pub zoom_x: f32,
    /// Vertical zoom factor, as `zoom_x`.
    pub zoom_y: f32,
    /// Mirror left-right (after the affine part).
    pub flip_horizontal: bool,
    /// Mirror top-bottom (after the affine part).
    pub flip_vertical: bool,
}

impl Default for Transform {
    fn default() -> Self {
        Transform {
            rotation: 0.0,
            shift_x: 0.0,
            shift_y: 0.0,
            shear: 0.0,
            zoom_x: 1.0,
            zoom_y: 1.0,
            flip_horizontal: false,
            flip_vertical: false,
        }
    }
}

impl Transform {
    /// Whether the affine part changes nothing (flips aside).
    ///
    /// ```
    /// use fireside::augment::Transform;
    /// assert!(Transform { flip_horizontal: true, ..Transform::default() }.is_affine_identity());
    /// ```
    pub fn is_affine_identity(&self) -> bool {
        self.rotation == 0.0
            && self.shift_x == 0.0
            && self.shift_y == 0.0
            && self.shear == 0.0
            && self.zoom_x == 1.0
            && self.zoom_y == 1.0
    }

    /// Whether the transform leaves every image as it is.
    ///
    /// ```
    /// use fireside::augment::Transform;
    /// assert!(!Transform { flip_vertical: true, ..Transform::default() }.is_identity());
    /// ```
    pub fn is_identity(&self) -> bool {
        self.is_affine_identity() && !self.flip_horizontal && !self.flip_vertical
    }

    /// The 2×2 matrix and offset taking a centred output point (x, y) to
    /// the centred input point: `input = R · T · S · Z · output`, Keras's
    /// composition (T is a translation, so it lands in the offset).
    fn inverse_map(&self) -> ([[f32; 2]; 2], [f32; 2]) {
        // Zoom then shear, in (x, y) with y pointing down. Keras's shear
        // matrix in (row, col) is [[1, -sin s], [0, cos s]].
        let (sin_s, cos_s) = self.shear.to_radians().sin_cos();
        let shear_zoom = [[cos_s * self.zoom_x, 0.0], [-sin_s * self.zoom_x, self.zoom_y]];
        // The shift moves the picture by +shift, so the input is at -shift.
        let shift = [-self.shift_x, -self.shift_y];
        // Counter-clockwise on screen (y down): x_in = cos·x − sin·y, y_in = sin·x + cos·y.
        let (sin_r, cos_r) = self.rotation.to_radians().sin_cos();
        let rotation = [[cos_r, -sin_r], [sin_r, cos_r]];
        let mut matrix = [[0.0; 2]; 2];
        for (i, row) in matrix.iter_mut().enumerate() {
            for (j, value) in row.iter_mut().enumerate() {
                *value = rotation[i][0] * shear_zoom[0][j] + rotation[i][1] * shear_zoom[1][j];
            }
        }
        let offset = [
            rotation[0][0] * shift[0] + rotation[0][1] * shift[1],
            rotation[1][0] * shift[0] + rotation[1][1] * shift[1],
        ];
        (matrix, offset)
    }
}

/// Why an [`ImageDataGenerator`] cannot make its flow.
#[derive(Debug, thiserror::Error)]
pub enum AugmentError {
    /// An option out of its range.
    #[error("{option}: {reason}")]
    Option { option: &'static str, reason: String },
    /// The images and the targets differ in number.
    #[error("flow needs one target per image: {images} images, {targets} targets")]
    TargetCount { images: usize, targets: usize },
    /// `batch_size` 0.
    #[error("batch_size must be at least 1")]
    ZeroBatchSize,
    /// The image folders could not be read.
    #[error(transparent)]
    Dataset(#[from] crate::datasets::DatasetError),
}

/// Random image augmentation, Keras's `ImageDataGenerator`: a builder of
/// ranges (all zero by default: no augmentation), then [`flow`](Self::flow)
/// for training batches, [`augment`](Self::augment) for one batch, or
/// [`samples_grid`](Self::samples_grid) to see what it does.
///
/// Every range is drawn uniformly and independently for each image. The
/// random numbers come from `seed` (default 0), so a notebook repeats.
///
/// ```
/// use fireside::prelude::*;
/// // Keras: ImageDataGenerator(rescale=1./255, shear_range=0.2, zoom_range=0.2, horizontal_flip=True)
/// let train_datagen = ImageDataGenerator::new()
///     .rescale(1.0 / 255.0)
///     .shear_range(0.2)
///     .zoom_range(0.2)
///     .horizontal_flip(true);
/// assert_eq!(train_datagen.zoom_range, (0.8, 1.2));
/// ```
#[derive(Debug)]
pub struct ImageDataGenerator {
    /// Multiplies every value after the transform (Keras's `rescale`, e.g. `1/255`); `None`: no scaling.
    pub rescale: Option<f32>,
    /// Maximum shear angle in degrees (Keras 2's `shear_range`).
    pub shear_range: f32,
    /// Zoom factors drawn from `[low, high]`, separately for x and y.
    pub zoom_range: (f32, f32),
    /// Mirror left-right with probability ½.
    pub horizontal_flip: bool,
    /// Mirror top-bottom with probability ½.
    pub vertical_flip: bool,
    /// Maximum horizontal shift: a fraction of the width below 1, pixels from 1 on.
    pub width_shift_range: f32,
    /// Maximum vertical shift: a fraction of the height below 1, pixels from 1 on.
    pub height_shift_range: f32,
    /// Maximum rotation in degrees, either way.
    pub rotation_range: f32,
    /// What fills the pixels brought in from outside the image.
    pub fill_mode: FillMode,
    /// The seed the random transforms start from.
    pub seed: u64,
    /// Advanced by every random draw; behind a lock so that drawing works on `&self`.
    rng: Mutex<StdRng>,
}

impl Clone for ImageDataGenerator {
    /// The same settings, and a random stream that continues from the same state.
    fn clone(&self) -> Self {
        ImageDataGenerator { rng: Mutex::new(self.rng().clone()), ..*self }
    }
}

impl Default for ImageDataGenerator {
    fn default() -> Self {
        ImageDataGenerator {
            rescale: None,
            shear_range: 0.0,
            zoom_range: (1.0, 1.0),
            horizontal_flip: false,
            vertical_flip: false,
            width_shift_range: 0.0,
            height_shift_range: 0.0,
            rotation_range: 0.0,
            fill_mode: FillMode::Nearest,
            seed: 0,
            rng: Mutex::new(StdRng::seed_from_u64(0)),
        }
    }
}

/// A zoom range: a number `z` means `[1 - z, 1 + z]` (Keras's float), a
/// pair `(low, high)` or `[low, high]` is taken as it is.
///
/// ```
/// use fireside::augment::ZoomRange;
/// assert_eq!(ZoomRange::from(0.25).0, (0.75, 1.25));
/// assert_eq!(ZoomRange::from((0.5, 1.0)).0, (0.5, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoomRange(pub (f32, f32));

impl From<f32> for ZoomRange {
    fn from(z: f32) -> Self {
        ZoomRange((1.0 - z, 1.0 + z))
    }
}

/// So that a plain literal such as `0.2` works (Rust reads it as `f64`).
impl From<f64> for ZoomRange {
    fn from(z: f64) -> Self {
        ZoomRange::from(z as f32)
    }
}

impl From<(f32, f32)> for ZoomRange {
    fn from(range: (f32, f32)) -> Self {
        ZoomRange(range)
    }
}

impl From<[f32; 2]> for ZoomRange {
    fn from([low, high]: [f32; 2]) -> Self {
        ZoomRange((low, high))
    }
}

/// `value` from `-range..=range`, or 0 without drawing when the range is 0
/// (so that an option left off does not change the other draws).
fn symmetric(rng: &mut StdRng, range: f32) -> f32 {
    if range == 0.0 { 0.0 } else { rng.random_range(-range..=range) }
}

impl ImageDataGenerator {
    /// No augmentation yet (Keras's `ImageDataGenerator()`); add ranges with the builder methods.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let test_datagen = ImageDataGenerator::new().rescale(1.0 / 255.0);   // only rescale, as for test data
    /// assert_eq!(test_datagen.rotation_range, 0.0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Multiplies every value by `factor` after the transform (Keras's
    /// `rescale=1./255` turns 8-bit pixel values into `[0, 1]`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let augment = ImageDataGenerator::new().rescale(1.0 / 255.0);
    /// let x = Tensor::<4>::full([1, 1, 2, 2], 255.0, &device());
    /// assert_eq!(augment.augment(x).values(), vec![1.0; 4]);
    /// ```
    pub fn rescale(mut self, factor: f32) -> Self {
        self.rescale = Some(factor);
        self
    }

    /// Maximum shear angle in **degrees**, drawn in `[-range, range]`.
    /// Keras 2 documents `shear_range` as "shear angle in counter-clockwise
    /// direction in degrees" (Keras 1 took radians), so the common
    /// `shear_range=0.2` is a barely visible 0.2°; 10 to 20 shows.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageDataGenerator::new().shear_range(15.0).shear_range, 15.0);
    /// ```
    pub fn shear_range(mut self, degrees: f32) -> Self {
        self.shear_range = degrees;
        self
    }

    /// Random zoom: `0.2` draws each factor from `[0.8, 1.2]`; `(0.5, 1.0)`
    /// gives the range itself. x and y are zoomed independently, as in Keras;
    /// a factor above 1 shrinks the picture (see [`Transform::zoom_x`]).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageDataGenerator::new().zoom_range(0.2).zoom_range, (0.8, 1.2));
    /// assert_eq!(ImageDataGenerator::new().zoom_range((0.9, 1.0)).zoom_range, (0.9, 1.0));
    /// ```
    pub fn zoom_range(mut self, range: impl Into<ZoomRange>) -> Self {
        let ZoomRange((low, high)) = range.into();
        self.zoom_range = (low, high);
        self
    }

    /// Mirrors half of the images left-right (Keras's `horizontal_flip=True`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(ImageDataGenerator::new().horizontal_flip(true).horizontal_flip);
    /// ```
    pub fn horizontal_flip(mut self, flip: bool) -> Self {
        self.horizontal_flip = flip;
        self
    }

    /// Mirrors half of the images top-bottom (Keras's `vertical_flip=True`):
    /// for pictures with no "up", such as microscope slides; not for digits.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert!(ImageDataGenerator::new().vertical_flip(true).vertical_flip);
    /// ```
    pub fn vertical_flip(mut self, flip: bool) -> Self {
        self.vertical_flip = flip;
        self
    }

    /// Maximum horizontal shift, either way: a fraction of the width when
    /// below 1 (`0.1`: up to 10%), a number of pixels from 1 on (Keras's rule).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageDataGenerator::new().width_shift_range(0.1).width_shift_range, 0.1);
    /// ```
    pub fn width_shift_range(mut self, range: f32) -> Self {
        self.width_shift_range = range;
        self
    }

    /// Maximum vertical shift, either way: a fraction of the height when
    /// below 1, a number of pixels from 1 on.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageDataGenerator::new().height_shift_range(2.0).height_shift_range, 2.0);
    /// ```
    pub fn height_shift_range(mut self, range: f32) -> Self {
        self.height_shift_range = range;
        self
    }

    /// Maximum rotation in degrees, either way (Keras's `rotation_range=40`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// assert_eq!(ImageDataGenerator::new().rotation_range(40.0).rotation_range, 40.0);
    /// ```
    pub fn rotation_range(mut self, degrees: f32) -> Self {
        self.rotation_range = degrees;
        self
    }

    /// What fills the pixels brought in from outside the image (default `Nearest`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// use fireside::augment::FillMode;
    /// assert_eq!(ImageDataGenerator::new().fill_mode(FillMode::Reflect).fill_mode, FillMode::Reflect);
    /// ```
    pub fn fill_mode(mut self, mode: FillMode) -> Self {
        self.fill_mode = mode;
        self
    }

    /// Restarts the random stream from `seed` (default 0): the same seed
    /// gives the same augmentations and batch orders.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let a = ImageDataGenerator::new().rotation_range(30.0).seed(7);
    /// let b = ImageDataGenerator::new().rotation_range(30.0).seed(7);
    /// assert_eq!(a.random_transform(28, 28), b.random_transform(28, 28));
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self.rng = Mutex::new(StdRng::seed_from_u64(seed));
        self
    }

    fn rng(&self) -> std::sync::MutexGuard<'_, StdRng> {
        // A panic while drawing leaves the generator usable: the state is plain numbers.
        self.rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Draws the parameters of one augmentation for an image of
    /// `height` × `width` pixels, advancing the random stream (Keras's
    /// `get_random_transform`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let augment = ImageDataGenerator::new().width_shift_range(0.25);
    /// let t = augment.random_transform(32, 32);
    /// assert!(t.shift_x.abs() <= 8.0 && t.shift_y == 0.0);   // a quarter of 32 pixels at most
    /// ```
    pub fn random_transform(&self, height: usize, width: usize) -> Transform {
        let mut rng = self.rng();
        let pixels = |range: f32, size: usize| if range < 1.0 { range * size as f32 } else { range };
        let rotation = symmetric(&mut rng, self.rotation_range);
        let shift_y = symmetric(&mut rng, pixels(self.height_shift_range, height));
        let shift_x = symmetric(&mut rng, pixels(self.width_shift_range, width));
        let shear = symmetric(&mut rng, self.shear_range);
        let (low, high) = self.zoom_range;
        let (zoom_x, zoom_y) = if low == 1.0 && high == 1.0 {
            (1.0, 1.0)
        } else {
            (rng.random_range(low..=high), rng.random_range(low..=high))
        };
        let flip_horizontal = self.horizontal_flip && rng.random_bool(0.5);
        let flip_vertical = self.vertical_flip && rng.random_bool(0.5);
        Transform { rotation, shift_x, shift_y, shear, zoom_x, zoom_y, flip_horizontal, flip_vertical }
    }

    /// Applies `params` to one (C, H, W) image: deterministic, without
    /// `rescale` (Keras's `apply_transform`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// use fireside::augment::Transform;
    /// let image = Tensor::<3>::from_floats([[[1.0, 2.0, 3.0]]], &device());   // 1 channel, 1×3
    /// let flipped = ImageDataGenerator::new()
    ///     .transform(image, Transform { flip_horizontal: true, ..Transform::default() });
    /// assert_eq!(flipped.values(), vec![3.0, 2.0, 1.0]);
    /// ```
    pub fn transform(&self, image: Tensor<3>, params: Transform) -> Tensor<3> {
        let [channels, height, width] = image.dims();
        let device = image.device();
        let pixels = read_values(image);
        let mut out = vec![0.0; pixels.len()];
        apply(&pixels, channels, height, width, &params, self.fill_mode, &mut out);
        Tensor::from_data(TensorData::new(out, [channels, height, width]), &device)
    }

    /// A random augmentation of each image of a (N, C, H, W) batch, then
    /// `rescale`; advances the random stream.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let augment = ImageDataGenerator::new().rotation_range(20.0).horizontal_flip(true);
    /// let x = Tensor::<4>::random([4, 3, 16, 16], Distribution::Default, &device());
    /// let augmented = augment.augment(x);
    /// assert_eq!(augmented.dims(), [4, 3, 16, 16]);
    /// ```
    pub fn augment(&self, x: Tensor<4>) -> Tensor<4> {
        let dims = x.dims();
        let device = x.device();
        let pixels = read_values(x);
        let out = self.augment_values(&pixels, dims, self.rescale);
        Tensor::from_data(TensorData::new(out, dims), &device)
    }

    /// `augment` on values in memory, then `rescale` if given.
    fn augment_values(
        &self,
        pixels: &[f32],
        [n, channels, height, width]: [usize; 4],
        rescale: Option<f32>,
    ) -> Vec<f32> {
        let size = channels * height * width;
        let mut out = vec![0.0; n * size];
        for (src, dst) in pixels.chunks_exact(size).zip(out.chunks_exact_mut(size)) {
            let params = self.random_transform(height, width);
            apply(src, channels, height, width, &params, self.fill_mode, dst);
        }
        if let Some(factor) = rescale {
            out.iter_mut().for_each(|v| *v *= factor);
        }
        out
    }

    /// Endless batches of `batch_size` augmented images of `x` (N, C, H, W)
    /// with their targets `y` (class indices or one-hot rows), in a new
    /// random order each pass: Keras's `datagen.flow(x, y, batch_size)`.
    /// The flow has its own random stream, drawn from this generator's.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x = Tensor::<4>::zeros([10, 1, 8, 8], &device());
    /// let y = Tensor::<1, Int>::zeros([10], &device());
    /// let mut flow = ImageDataGenerator::new().zoom_range(0.1).flow(x, y, 4)?;
    /// assert_eq!(flow.len(), 3);   // 4 + 4 + 2 images per pass
    /// let sizes: Vec<usize> = (0..4).map(|_| flow.next_batch().0.len()).collect();
    /// assert_eq!(sizes, [4, 4, 2, 4]);   // then the next pass begins
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flow(
        &self,
        x: Tensor<4>,
        y: impl Into<Targets>,
        batch_size: usize,
    ) -> Result<ImageFlow, AugmentError> {
        self.check(batch_size)?;
        let y = y.into();
        let shape = x.dims();
        if shape[0] != y.len() {
            return Err(AugmentError::TargetCount { images: shape[0], targets: y.len() });
        }
        let device = x.device();
        Ok(ImageFlow::new(self, read_values(x), shape, y, batch_size, device, Vec::new()))
    }

    /// Endless batches of the images in the class folders of `dir`
    /// (`dir/cat/*.png`, `dir/dog/*.jpg`, …), resized to `target_size`
    /// (rows, cols), as RGB, with one-hot targets: Keras's
    /// `flow_from_directory(dir, target_size, batch_size)` with its defaults
    /// (`class_mode='categorical'`, shuffled). Use
    /// `Loss::CategoricalCrossEntropy` with it.
    ///
    /// The classes are the subfolder names, sorted ([`ImageFlow::class_indices`]).
    /// As in Keras, the values are 8-bit pixel values, 0 to 255, before
    /// `rescale`: write `.rescale(1.0 / 255.0)` as Keras code does to train
    /// on `[0, 1]`. Like Keras it prints `Found 2000 images belonging to 10 classes.`
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let dir = std::env::temp_dir().join(format!("fireside-doc-flow-dir-{}", std::process::id()));
    /// fireside::datasets::Cifar10::shipped_subset()?.test.take(12).save_to_folders(&dir)?;
    /// let datagen = ImageDataGenerator::new().rescale(1.0 / 255.0);
    /// let mut flow = datagen.flow_from_directory(&dir, (32, 32), 4)?;
    /// let (images, targets) = flow.next().unwrap();
    /// assert_eq!(images.dims(), [4, 3, 32, 32]);
    /// assert!(matches!(targets, Targets::Values(_)));   // one-hot rows
    /// assert_eq!(flow.class_indices()["airplane"], 0);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flow_from_directory(
        &self,
        dir: impl AsRef<std::path::Path>,
        target_size: (usize, usize),
        batch_size: usize,
    ) -> Result<ImageFlow, AugmentError> {
        self.check(batch_size)?;
        let (rows, cols) = target_size;
        let set = crate::datasets::ImageFolder::new(dir).target_size(rows, cols).load()?;
        println!("Found {} images belonging to {} classes.", set.len(), set.class_count());
        let device = crate::device::device();
        let targets = TensorData::new(set.one_hot_labels(), [set.len(), set.class_count()]);
        let targets = Targets::Values(Tensor::<2>::from_data(targets, &device));
        // Keras's scale: 8-bit values, which `rescale(1/255)` brings back to [0, 1].
        let pixels = set.images.iter().map(|v| v * 255.0).collect();
        Ok(ImageFlow::new(self, pixels, set.shape(), targets, batch_size, device, set.class_names))
    }

    /// Whether the options are in range, and a batch has an image.
    fn check(&self, batch_size: usize) -> Result<(), AugmentError> {
        let at_least_zero = [
            ("rotation_range", self.rotation_range, "a maximum angle in degrees"),
            ("width_shift_range", self.width_shift_range, "a maximum shift"),
            ("height_shift_range", self.height_shift_range, "a maximum shift"),
            ("shear_range", self.shear_range, "a maximum angle in degrees"),
        ];
        for (option, value, what) in at_least_zero {
            // NaN is out of range too.
            if value.is_nan() || value < 0.0 {
                return Err(AugmentError::Option {
                    option,
                    reason: format!("{what}, at least 0; got {value}"),
                });
            }
        }
        let (low, high) = self.zoom_range;
        if low.is_nan() || high.is_nan() || low <= 0.0 || low > high {
            let reason = format!(
                "needs 0 < low <= high, got ({low}, {high}); a number z means (1 - z, 1 + z), so z < 1"
            );
            return Err(AugmentError::Option { option: "zoom_range", reason });
        }
        if batch_size == 0 {
            return Err(AugmentError::ZeroBatchSize);
        }
        Ok(())
    }

    /// A grid showing each image of `images` (N, C, H, W) followed by `n`
    /// random augmentations of it (1 channel: gray, 3: colour, otherwise
    /// the first channel). `rescale` is left out, since it changes no
    /// pixel's place: images in `[0, 1]` show as they are, and images with
    /// values above 1 are taken as 8-bit pixels and shown divided by 255.
    /// For an [`ImageSet`](crate::datasets::ImageSet), pass
    /// `data::images(&set.take(2))`.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device());
    /// let grid = ImageDataGenerator::new().rotation_range(20.0).samples_grid(x, 5)?;
    /// assert_eq!(grid.len(), 2 * 6);   // each original and 5 augmented versions
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn samples_grid(&self, images: Tensor<4>, n: usize) -> Result<ImageGrid, AugmentError> {
        self.check(1)?;
        let [count, channels, height, width] = images.dims();
        let pixels = read_values(images);
        let size = channels * height * width;
        let scale_for_display = |mut values: Vec<f32>| {
            if values.iter().any(|&v| v > 1.0) {
                values.iter_mut().for_each(|v| *v /= 255.0);
            }
            values
        };
        let add = |grid: ImageGrid, values: &[f32], caption: String| match channels {
            3 => grid.rgb_channels_first(height, width, values, caption),
            _ => grid.gray(height, width, &values[..height * width], caption),
        };
        let mut grid = ImageGrid::new("Augmented samples");
        for (i, image) in pixels.chunks_exact(size).enumerate() {
            let name = if count == 1 { String::new() } else { format!("{} ", i + 1) };
            grid = add(grid, &scale_for_display(image.to_vec()), format!("{name}original"));
            let copies = self.augment_values(&image.repeat(n), [n, channels, height, width], None);
            for (j, copy) in copies.chunks_exact(size).enumerate() {
                grid = add(grid, &scale_for_display(copy.to_vec()), format!("{name}augmented {}", j + 1));
            }
        }
        Ok(grid)
    }
}

/// The values of a float tensor, read to the CPU.
fn read_values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.try_into_vec_as::<f32>().expect("a float tensor's values can be read")
}

/// `params` applied to one (C, H, W) image `src`, written to `dst`.
fn apply(
    src: &[f32],
    channels: usize,
    height: usize,
    width: usize,
    params: &Transform,
    fill: FillMode,
    dst: &mut [f32],
) {
    let plane = height * width;
    if params.is_affine_identity() {
        // Exact copy (and exact flips): no resampling at all.
        for c in 0..channels {
            for y in 0..height {
                let sy = if params.flip_vertical { height - 1 - y } else { y };
                for x in 0..width {
                    let sx = if params.flip_horizontal { width - 1 - x } else { x };
                    dst[c * plane + y * width + x] = src[c * plane + sy * width + sx];
                }
            }
        }
        return;
    }
    let (m, offset) = params.inverse_map();
    // The centre of the pixel grid, so that a rotation or zoom keeps the
    // middle in place (Keras uses h/2 + 0.5, half a pixel off).
    let (cx, cy) = ((width as f32 - 1.0) / 2.0, (height as f32 - 1.0) / 2.0);
    for y in 0..height {
        // The flips apply to the transformed image: look up the mirrored output pixel.
        let oy = (if params.flip_vertical { height - 1 - y } else { y }) as f32 - cy;
        for x in 0..width {
            let ox = (if params.flip_horizontal { width - 1 - x } else { x }) as f32 - cx;
            let sx = m[0][0] * ox + m[0][1] * oy + offset[0] + cx;
            let sy = m[1][0] * ox + m[1][1] * oy + offset[1] + cy;
            // Bilinear: the four neighbours, each weighted by its overlap.
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as isize, y0 as isize);
            let corners = [
                (x0, y0, (1.0 - fx) * (1.0 - fy)),
                (x0 + 1, y0, fx * (1.0 - fy)),
                (x0, y0 + 1, (1.0 - fx) * fy),
                (x0 + 1, y0 + 1, fx * fy),
            ];
            let located =
                corners.map(|(ix, iy, w)| (locate(ix, width, fill).zip(locate(iy, height, fill)), w));
            for c in 0..channels {
                let channel = &src[c * plane..(c + 1) * plane];
                let mut value = 0.0;
                for &(at, weight) in &located {
                    if weight == 0.0 {
                        continue;
                    }
                    value += weight
                        * match (at, fill) {
                            (Some((ix, iy)), _) => channel[iy * width + ix],
                            (None, FillMode::Constant(k)) => k,
                            (None, _) => unreachable!("only constant filling leaves the image"),
                        };
                }
                dst[c * plane + y * width + x] = value;
            }
        }
    }
}

/// The source index of coordinate `i` along an axis of `size` pixels, or
/// `None` when it lies outside and the fill is a constant.
fn locate(i: isize, size: usize, fill: FillMode) -> Option<usize> {
    let n = size as isize;
    if (0..n).contains(&i) {
        return Some(i as usize);
    }
    match fill {
        FillMode::Constant(_) => None,
        FillMode::Nearest => Some(i.clamp(0, n - 1) as usize),
        FillMode::Wrap => Some(i.rem_euclid(n) as usize),
        FillMode::Reflect => {
            // Mirror about the edges: period 2n, dcba|abcd|dcba.
            let k = i.rem_euclid(2 * n);
            Some(if k < n { k } else { 2 * n - 1 - k } as usize)
        }
    }
}

/// Endless batches of augmented images and their targets, made by
/// [`ImageDataGenerator::flow`] (Keras's `NumpyArrayIterator` /
/// `DirectoryIterator`): a [`BatchSource`] for
/// [`Model::fit_generator`](crate::training::Model::fit_generator), and an
/// iterator of `(images, targets)`.
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<4>::zeros([6, 1, 8, 8], &device());
/// let y = Tensor::<1, Int>::from_ints([0, 1, 0, 1, 0, 1], &device());
/// let mut flow = ImageDataGenerator::new().horizontal_flip(true).flow(x, y, 4)?;
/// let (images, targets) = flow.next().unwrap();   // as Python's next(generator)
/// assert_eq!((images.dims(), targets.len()), ([4, 1, 8, 8], 4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ImageFlow {
    generator: ImageDataGenerator,
    /// All images, (N, C, H, W) row-major, on the CPU where augmentation runs.
    pixels: Vec<f32>,
    shape: [usize; 4],
    targets: Targets,
    batch_size: usize,
    shuffle: bool,
    order: Vec<usize>,
    position: usize,
    device: burn::tensor::Device,
    class_names: Vec<String>,
}

impl ImageFlow {
    fn new(
        generator: &ImageDataGenerator,
        pixels: Vec<f32>,
        shape: [usize; 4],
        targets: Targets,
        batch_size: usize,
        device: burn::tensor::Device,
        class_names: Vec<String>,
    ) -> Self {
        // A seed of its own, drawn from the generator: two flows of one
        // generator differ, and the whole stays repeatable.
        let seed: u64 = generator.rng().random();
        let mut generator = generator.clone();
        generator.rng = Mutex::new(StdRng::seed_from_u64(seed));
        let mut flow = ImageFlow {
            generator,
            pixels,
            shape,
            targets,
            batch_size,
            shuffle: true,
            order: (0..shape[0]).collect(),
            position: 0,
            device,
            class_names,
        };
        flow.start_pass();
        flow
    }

    /// Whether each pass visits the images in a new random order (default
    /// true, as Keras); `false` keeps their order, e.g. to match predictions
    /// with files.
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let x = Tensor::<4>::zeros([3, 1, 2, 2], &device());
    /// let y = Tensor::<1, Int>::from_ints([0, 1, 2], &device());
    /// let mut flow = ImageDataGenerator::new().flow(x, y, 3)?.shuffle(false);
    /// assert_eq!(flow.next_batch().1.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self.order = (0..self.shape[0]).collect();
        self.start_pass();
        self
    }

    /// The number of images (Keras's `generator.n` / `samples`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let flow = ImageDataGenerator::new().flow(Tensor::<4>::zeros([5, 1, 2, 2], &device()),
    ///     Tensor::<1, Int>::zeros([5], &device()), 2)?;
    /// assert_eq!(flow.samples(), 5);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn samples(&self) -> usize {
        self.shape[0]
    }

    /// Images per batch (the last batch of a pass may have fewer).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let flow = ImageDataGenerator::new().flow(Tensor::<4>::zeros([5, 1, 2, 2], &device()),
    ///     Tensor::<1, Int>::zeros([5], &device()), 2)?;
    /// assert_eq!(flow.batch_size(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The shape of one image, (C, H, W).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let flow = ImageDataGenerator::new().flow(Tensor::<4>::zeros([5, 3, 4, 6], &device()),
    ///     Tensor::<1, Int>::zeros([5], &device()), 2)?;
    /// assert_eq!(flow.image_shape(), [3, 4, 6]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn image_shape(&self) -> [usize; 3] {
        let [_, c, h, w] = self.shape;
        [c, h, w]
    }

    /// The class names, in index order (the sorted folder names of
    /// `flow_from_directory`; empty for `flow`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let flow = ImageDataGenerator::new().flow(Tensor::<4>::zeros([1, 1, 2, 2], &device()),
    ///     Tensor::<1, Int>::zeros([1], &device()), 1)?;
    /// assert!(flow.class_names().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// Each class name with its index, Keras's `generator.class_indices`
    /// (`{'cats': 0, 'dogs': 1}`).
    ///
    /// ```
    /// use fireside::prelude::*;
    /// let flow = ImageDataGenerator::new().flow(Tensor::<4>::zeros([1, 1, 2, 2], &device()),
    ///     Tensor::<1, Int>::zeros([1], &device()), 1)?;
    /// assert!(flow.class_indices().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn class_indices(&self) -> std::collections::BTreeMap<String, usize> {
        self.class_names.iter().enumerate().map(|(i, name)| (name.clone(), i)).collect()
    }

    fn start_pass(&mut self) {
        if self.shuffle {
            let mut rng = self.generator.rng();
            self.order.shuffle(&mut *rng);
        }
        self.position = 0;
    }
}

impl BatchSource for ImageFlow {
    fn next_batch(&mut self) -> (Batch, Targets) {
        if self.position >= self.order.len() {
            self.start_pass();
        }
        let end = (self.position + self.batch_size).min(self.order.len());
        let chosen = &self.order[self.position..end];
        self.position = end;
        let [_, c, h, w] = self.shape;
        let size = c * h * w;
        let mut pixels = Vec::with_capacity(chosen.len() * size);
        for &i in chosen {
            pixels.extend_from_slice(&self.pixels[i * size..(i + 1) * size]);
        }
        let dims = [chosen.len(), c, h, w];
        let images = self.generator.augment_values(&pixels, dims, self.generator.rescale);
        let images = Tensor::<4>::from_data(TensorData::new(images, dims), &self.device);
        let indices: Vec<i64> = chosen.iter().map(|&i| i as i64).collect();
        let indices = Tensor::<1, Int>::from_data(TensorData::new(indices, [chosen.len()]), &self.device);
        (images.into(), self.targets.select(indices))
    }

    fn len(&self) -> usize {
        self.shape[0].div_ceil(self.batch_size)
    }
}

/// A summary, not the pixels (a notebook shows a cell's last value this way).
impl std::fmt::Debug for ImageFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageFlow")
            .field("samples", &self.samples())
            .field("image_shape", &self.image_shape())
            .field("batch_size", &self.batch_size)
            .field("shuffle", &self.shuffle)
            .field("class_names", &self.class_names)
            .field("generator", &self.generator)
            .finish_non_exhaustive()
    }
}

/// Endless: `next()` always gives a batch, like a Keras generator.
impl Iterator for ImageFlow {
    type Item = (Tensor<4>, Targets);

    fn next(&mut self) -> Option<Self::Item> {
        let (images, targets) = self.next_batch();
        match images {
            Batch::Images(images) => Some((images, targets)),
            _ => unreachable!("an image flow makes image batches"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// A (C, H, W) image with one bright pixel at (row, col) in every channel.
    fn dot(channels: usize, height: usize, width: usize, row: usize, col: usize) -> Vec<f32> {
        let mut pixels = vec![0.0; channels * height * width];
        for c in 0..channels {
            pixels[c * height * width + row * width + col] = 1.0;
        }
        pixels
    }

    fn run(params: Transform, fill: FillMode, src: &[f32], [c, h, w]: [usize; 3]) -> Vec<f32> {
        let mut out = vec![f32::NAN; src.len()];
        apply(src, c, h, w, &params, fill, &mut out);
        out
    }

    /// The positions holding non-zero values, with the values.
    fn lit(pixels: &[f32], width: usize) -> Vec<(usize, usize, f32)> {
        pixels
            .iter()
            .enumerate()
            .filter(|(_, v)| v.abs() > 1e-6)
            .map(|(i, &v)| (i / width, i % width, v))
            .collect()
    }

    fn ramp(len: usize) -> Vec<f32> {
        (0..len).map(|i| i as f32 / len as f32).collect()
    }

    #[test]
    fn flips_are_exact() {
        let src = ramp(2 * 3 * 4);
        let flipped = run(
            Transform { flip_horizontal: true, ..Default::default() },
            FillMode::Nearest,
            &src,
            [2, 3, 4],
        );
        for c in 0..2 {
            for y in 0..3 {
                for x in 0..4 {
                    assert_eq!(flipped[c * 12 + y * 4 + x], src[c * 12 + y * 4 + (3 - x)]);
                }
            }
        }
        let flipped =
            run(Transform { flip_vertical: true, ..Default::default() }, FillMode::Nearest, &src, [2, 3, 4]);
        for c in 0..2 {
            for y in 0..3 {
                for x in 0..4 {
                    assert_eq!(flipped[c * 12 + y * 4 + x], src[c * 12 + (2 - y) * 4 + x]);
                }
            }
        }
        // A flip after a (whole-pixel) shift is still exact: the shifted dot, mirrored.
        let src = dot(1, 5, 7, 2, 3);
        let params = Transform { shift_x: 2.0, flip_horizontal: true, ..Default::default() };
        assert_eq!(lit(&run(params, FillMode::Constant(0.0), &src, [1, 5, 7]), 7), vec![(2, 1, 1.0)]);
    }

    #[test]
    fn random_flips_give_the_image_or_its_mirror() {
        let augment = ImageDataGenerator::new().horizontal_flip(true).seed(1);
        let src = ramp(16 * 3 * 5);
        let out = augment.augment_values(&src, [16, 1, 3, 5], None);
        let mut mirrored_count = 0;
        for (a, b) in src.chunks(15).zip(out.chunks(15)) {
            let mirrored: Vec<f32> = a.chunks(5).flat_map(|row| row.iter().rev().copied()).collect();
            assert!(a == b || mirrored == b);
            mirrored_count += usize::from(mirrored == b);
        }
        assert!((3..=13).contains(&mirrored_count), "about half are mirrored: {mirrored_count}");
    }

    #[test]
    fn zero_ranges_give_the_identity() {
        let x = Tensor::<4>::random([3, 2, 5, 6], Distribution::Default, &device());
        let before = x.clone().values();
        assert_eq!(ImageDataGenerator::new().augment(x).values(), before);
        // Also through the resampling path: a transform that is the identity in disguise.
        let src = ramp(2 * 5 * 6);
        let turn = Transform { rotation: 360.0, ..Default::default() };
        let out = run(turn, FillMode::Nearest, &src, [2, 5, 6]);
        assert!(src.iter().zip(&out).all(|(a, b)| (a - b).abs() < 1e-4));
    }

    #[test]
    fn shifts_move_a_bright_pixel_by_the_expected_amount() {
        let src = dot(1, 9, 9, 4, 4);
        let shifted = |shift_x: f32, shift_y: f32| {
            run(
                Transform { shift_x, shift_y, ..Default::default() },
                FillMode::Constant(0.0),
                &src,
                [1, 9, 9],
            )
        };
        assert_eq!(lit(&shifted(2.0, 0.0), 9), vec![(4, 6, 1.0)], "right by 2");
        assert_eq!(lit(&shifted(0.0, -3.0), 9), vec![(1, 4, 1.0)], "up by 3");
        assert_eq!(lit(&shifted(-1.0, 1.0), 9), vec![(5, 3, 1.0)], "left 1, down 1");
        assert_eq!(lit(&shifted(0.5, 0.0), 9), vec![(4, 4, 0.5), (4, 5, 0.5)], "half a pixel: shared");
        // A random shift of at most 2 pixels keeps the dot within 2 pixels.
        let augment = ImageDataGenerator::new().width_shift_range(2.0).height_shift_range(2.0).seed(3);
        let out = augment.augment_values(&src.repeat(20), [20, 1, 9, 9], None);
        for image in out.chunks(81) {
            let total: f32 = image.iter().sum();
            let (row, col) = image.iter().enumerate().fold((0.0, 0.0), |(r, c), (i, v)| {
                (r + (i / 9) as f32 * v / total, c + (i % 9) as f32 * v / total)
            });
            assert!((total - 1.0).abs() < 1e-4, "bilinear keeps the brightness");
            assert!((row - 4.0).abs() <= 2.0 + 1e-4 && (col - 4.0).abs() <= 2.0 + 1e-4, "({row}, {col})");
        }
    }

    #[test]
    fn width_shift_below_one_is_a_fraction_of_the_width() {
        let augment = ImageDataGenerator::new().width_shift_range(0.25).seed(5);
        let shifts: Vec<f32> = (0..200).map(|_| augment.random_transform(10, 40).shift_x).collect();
        assert!(shifts.iter().all(|s| s.abs() <= 10.0));
        assert!(shifts.iter().any(|s| s.abs() > 8.0), "the range is used: {shifts:?}");
    }

    #[test]
    fn rotation_and_zoom_go_the_documented_way() {
        // A dot right of the centre of a 9×9 image ends up above it after +90°.
        let src = dot(1, 9, 9, 4, 6);
        let turned =
            run(Transform { rotation: 90.0, ..Default::default() }, FillMode::Constant(0.0), &src, [1, 9, 9]);
        let lit_turned = lit(&turned, 9);
        assert_eq!(lit_turned.len(), 1);
        assert_eq!((lit_turned[0].0, lit_turned[0].1), (2, 4));
        // Zoom 0.5 enlarges: 2 pixels from the centre become 4.
        let zoomed = Transform { zoom_x: 0.5, zoom_y: 0.5, ..Default::default() };
        let out = run(zoomed, FillMode::Constant(0.0), &src, [1, 9, 9]);
        assert_eq!(out[4 * 9 + 8], 1.0);
        assert_eq!(out[4 * 9 + 4], 0.0);
    }

    #[test]
    fn shear_keeps_vertical_lines_vertical() {
        let mut src = vec![0.0; 9 * 9];
        for row in 0..9 {
            src[row * 9 + 6] = 1.0; // a vertical line
        }
        let sheared = Transform { shear: 20.0, ..Default::default() };
        let out = run(sheared, FillMode::Nearest, &src, [1, 9, 9]);
        let column = |row: usize| {
            let line = &out[row * 9..(row + 1) * 9];
            line.iter().enumerate().map(|(x, v)| x as f32 * v).sum::<f32>() / line.iter().sum::<f32>()
        };
        assert!((column(1) - column(7)).abs() < 1e-4, "still vertical");
        assert!((column(4) - 6.0).abs() > 0.1, "moved by the cos of the angle");
    }

    #[test]
    fn rescale_multiplies_after_the_transform() {
        let x = Tensor::<4>::from_floats([[[[0.0, 51.0], [102.0, 255.0]]]], &device());
        let out = ImageDataGenerator::new().rescale(1.0 / 255.0).augment(x).values();
        let expected = [0.0, 0.2, 0.4, 1.0];
        assert!(out.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-6), "{out:?}");
    }

    #[test]
    fn output_keeps_the_shape_and_the_value_range() {
        let x = Tensor::<4>::random([6, 3, 12, 10], Distribution::Default, &device());
        for fill in [FillMode::Nearest, FillMode::Constant(0.0), FillMode::Reflect, FillMode::Wrap] {
            let augment = ImageDataGenerator::new()
                .rotation_range(40.0)
                .shear_range(20.0)
                .zoom_range(0.3)
                .width_shift_range(0.2)
                .height_shift_range(0.2)
                .horizontal_flip(true)
                .vertical_flip(true)
                .fill_mode(fill);
            let out = augment.augment(x.clone());
            assert_eq!(out.dims(), [6, 3, 12, 10]);
            let values = out.values();
            assert!(values.iter().all(|v| (-1e-5..=1.0 + 1e-5).contains(v)), "{fill:?}");
            assert!(values != x.clone().values(), "{fill:?} changed something");
        }
    }

    #[test]
    fn fill_modes_pick_the_documented_pixels() {
        // abcd: index 0..4
        let at = |i, fill| locate(i, 4, fill);
        assert_eq!([-2, -1, 4, 5].map(|i| at(i, FillMode::Nearest)), [Some(0), Some(0), Some(3), Some(3)]);
        assert_eq!([-2, -1, 4, 5].map(|i| at(i, FillMode::Reflect)), [Some(1), Some(0), Some(3), Some(2)]);
        assert_eq!([-2, -1, 4, 5].map(|i| at(i, FillMode::Wrap)), [Some(2), Some(3), Some(0), Some(1)]);
        assert_eq!(at(-1, FillMode::Constant(0.5)), None);
        // A constant fill shows up where the shift brings in the outside.
        let src = vec![1.0; 4];
        let shifted = Transform { shift_x: 1.0, ..Default::default() };
        assert_eq!(run(shifted, FillMode::Constant(0.5), &src, [1, 1, 4]), vec![0.5, 1.0, 1.0, 1.0]);
        assert_eq!(run(shifted, FillMode::Nearest, &src, [1, 1, 4]), vec![1.0; 4]);
    }

    #[test]
    fn a_seed_repeats_the_augmentations() {
        let x = Tensor::<4>::random([4, 1, 8, 8], Distribution::Default, &device());
        let make = |seed| ImageDataGenerator::new().rotation_range(30.0).zoom_range(0.2).seed(seed);
        let (a, b, c) = (make(9), make(9), make(10));
        let first = a.augment(x.clone()).values();
        assert_eq!(first, b.augment(x.clone()).values());
        assert_ne!(first, c.augment(x.clone()).values());
        assert_ne!(first, a.augment(x.clone()).values(), "the stream advances");
        // Flows too: the same seed gives the same batches.
        let y = Tensor::<1, Int>::from_ints([0, 1, 2, 3], &device());
        let batches = |generator: &ImageDataGenerator| {
            let mut flow = generator.flow(x.clone(), y.clone(), 3).unwrap();
            (0..3).map(|_| flow.next().unwrap().0.values()).collect::<Vec<_>>()
        };
        assert_eq!(batches(&make(4)), batches(&make(4)));
    }

    #[test]
    fn a_flow_pairs_images_with_their_targets_and_covers_each_pass() {
        // Image i is filled with the value i and has the target i.
        let n = 7;
        let values: Vec<f32> = (0..n).flat_map(|i| vec![i as f32; 4]).collect();
        let x = Tensor::<4>::from_data(TensorData::new(values, [n, 1, 2, 2]), &device());
        let y =
            Tensor::<1, Int>::from_data(TensorData::new((0..n as i64).collect::<Vec<_>>(), [n]), &device());
        let mut flow = ImageDataGenerator::new().seed(2).flow(x, y, 3).unwrap();
        assert_eq!((flow.len(), flow.samples()), (3, 7));
        for _pass in 0..2 {
            let mut seen = Vec::new();
            for expected_size in [3, 3, 1] {
                let (images, targets) = flow.next().unwrap();
                let Targets::Classes(targets) = targets else { panic!("class targets stay classes") };
                let targets: Vec<i64> = targets.values();
                let images = images.values();
                assert_eq!(targets.len(), expected_size);
                for (k, &t) in targets.iter().enumerate() {
                    assert_eq!(images[k * 4], t as f32, "image and target travel together");
                }
                seen.extend(targets);
            }
            seen.sort_unstable();
            assert_eq!(seen, (0..n as i64).collect::<Vec<_>>(), "every image once per pass");
        }
    }

    #[test]
    fn a_flow_prints_a_summary_not_its_pixels() {
        let x = Tensor::<4>::zeros([500, 3, 8, 8], &device());
        let flow = ImageDataGenerator::new().flow(x, Tensor::<1, Int>::zeros([500], &device()), 32).unwrap();
        let debug = format!("{flow:?}");
        assert!(debug.len() < 1000 && debug.contains("samples: 500"), "{debug}");
    }

    #[test]
    fn samples_grid_shows_originals_and_augmented_copies() {
        let x = Tensor::<4>::random([1, 1, 6, 6], Distribution::Default, &device());
        let grid = ImageDataGenerator::new().horizontal_flip(true).samples_grid(x, 4).unwrap();
        assert_eq!(grid.len(), 5);
        let mime = grid.to_mime();
        let text = mime.plain_text();
        assert!(text.contains("original") && text.contains("augmented 4"), "{text}");
    }
}
