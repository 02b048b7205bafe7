//! Images in class folders, the layout of Keras's `flow_from_directory`:
//!
//! ```text
//! data/train/cat/001.png   data/train/dog/001.jpg   ...
//! data/test/cat/...        data/test/dog/...
//! ```
//!
//! [`ImageFolder`] reads such a folder into an [`ImageSet`] (classes = the
//! subfolder names, sorted), [`load_image`] reads one file the same way (to
//! predict its class), and [`ImageSet::save_to_folders`] writes a set out in
//! this layout.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};
use crate::image_set::ImageSet;

/// The file extensions read as images, compared without regard to case.
const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// One image read from a file: its values channels-first, each in `[0, 1]`.
///
/// ```no_run
/// let image = fireside_datasets::load_image("cat.jpg", (32, 32))?;
/// assert_eq!(image.shape(), [3, 32, 32]);
/// assert_eq!(image.values.len(), 3 * 32 * 32);
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct Image {
    /// The values, `channels × rows × cols`: each channel row by row, in `[0, 1]`.
    pub values: Vec<f32>,
    /// 3 (red, green, blue) or 1 (grey-scale).
    pub channels: usize,
    /// The height in pixels.
    pub rows: usize,
    /// The width in pixels.
    pub cols: usize,
}

impl Image {
    /// `[channels, rows, cols]`, the shape of one image in a batch tensor.
    ///
    /// ```
    /// let image = fireside_datasets::Image { values: vec![0.0; 12], channels: 3, rows: 2, cols: 2 };
    /// assert_eq!(image.shape(), [3, 2, 2]);
    /// ```
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.rows, self.cols]
    }
}

/// A summary, not the pixels.
impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image").field("shape", &self.shape()).finish_non_exhaustive()
    }
}

/// Reads one PNG or JPEG file as an RGB image of `target_size` (rows, cols),
/// resized with bilinear interpolation when its size differs: what Keras's
/// `load_img(path, target_size=...)` and `img_to_array` do, with the values
/// already divided by 255.
///
/// Grey-scale files are repeated into three channels and transparency is
/// dropped, so any file fits a model trained on RGB images.
///
/// ```no_run
/// // Predict the class of one file (seed C §4.4).
/// let image = fireside_datasets::load_image("data/test/cat/00012.png", (32, 32))?;
/// println!("{:?}", image.shape()); // [3, 32, 32]
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
pub fn load_image(path: impl AsRef<Path>, target_size: (usize, usize)) -> Result<Image> {
    read_image(path.as_ref(), Some(target_size), false)
}

/// A folder of class subfolders read as an [`ImageSet`], like Keras's
/// `flow_from_directory`: the classes are the subfolder names in sorted
/// order (label 0 is the first), the images every `.png`, `.jpg` and
/// `.jpeg` file in them, in the order of their names.
///
/// Images are read as RGB (3 channels) unless [`grayscale`](Self::grayscale)
/// is set, and resized to [`target_size`](Self::target_size) with bilinear
/// interpolation; without a target size every image takes the size of the
/// first one. Values are divided by 255 into `[0, 1]`, like every
/// [`ImageSet`]. Hidden subfolders (a name starting with `.`, such as
/// `.ipynb_checkpoints`) are not classes.
///
/// ```
/// use fireside_datasets::{Cifar10, ImageFolder};
///
/// let dir = std::env::temp_dir().join(format!("fireside-doc-image-folder-{}", std::process::id()));
/// let set = Cifar10::shipped_subset()?.test.take(20);
/// set.save_to_folders(&dir)?; // dir/airplane/00000.png, ...
///
/// let loaded = ImageFolder::new(&dir).target_size(32, 32).load()?;
/// assert_eq!(loaded.shape(), [20, 3, 32, 32]);
/// assert_eq!(loaded.class_names, ImageFolder::new(&dir).class_names()?);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), fireside_datasets::DatasetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageFolder {
    dir: PathBuf,
    target_size: Option<(usize, usize)>,
    grayscale: bool,
}

impl ImageFolder {
    /// The class folders under `dir`, read as RGB at the first image's size
    /// until configured otherwise. Nothing is read before [`load`](Self::load).
    ///
    /// ```
    /// let folder = fireside_datasets::ImageFolder::new("data/train");
    /// assert_eq!(folder.dir(), std::path::Path::new("data/train"));
    /// ```
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self { dir: dir.as_ref().to_path_buf(), target_size: None, grayscale: false }
    }

    /// Resizes every image to `rows × cols` pixels (Keras's
    /// `target_size=(rows, cols)`), with bilinear interpolation.
    ///
    /// # Panics
    ///
    /// If `rows` or `cols` is 0.
    ///
    /// ```
    /// let folder = fireside_datasets::ImageFolder::new("data/train").target_size(32, 32);
    /// assert_eq!(folder.size(), Some((32, 32)));
    /// ```
    pub fn target_size(mut self, rows: usize, cols: usize) -> Self {
        assert!(rows > 0 && cols > 0, "a target size must be at least 1x1, got {rows}x{cols}");
        self.target_size = Some((rows, cols));
        self
    }

    /// Reads the images as one grey-scale channel (Keras's
    /// `color_mode='grayscale'`) instead of three RGB channels.
    ///
    /// ```
    /// let folder = fireside_datasets::ImageFolder::new("digits").grayscale();
    /// assert_eq!(folder.channels(), 1);
    /// ```
    pub fn grayscale(mut self) -> Self {
        self.grayscale = true;
        self
    }

    /// The folder that holds the class subfolders.
    ///
    /// ```
    /// let folder = fireside_datasets::ImageFolder::new("data/test");
    /// assert!(folder.dir().ends_with("test"));
    /// ```
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The target size `(rows, cols)`, if one was set.
    ///
    /// ```
    /// assert_eq!(fireside_datasets::ImageFolder::new("data").size(), None);
    /// ```
    pub fn size(&self) -> Option<(usize, usize)> {
        self.target_size
    }

    /// The number of channels the images are read with: 3, or 1 when
    /// [`grayscale`](Self::grayscale).
    ///
    /// ```
    /// assert_eq!(fireside_datasets::ImageFolder::new("data").channels(), 3);
    /// ```
    pub fn channels(&self) -> usize {
        if self.grayscale { 1 } else { 3 }
    }

    /// The class names: the non-hidden subfolders of [`dir`](Self::dir), sorted.
    ///
    /// # Errors
    ///
    /// If the folder cannot be read or has no subfolder.
    ///
    /// ```no_run
    /// let classes = fireside_datasets::ImageFolder::new("data/train").class_names()?;
    /// println!("{classes:?}"); // ["airplane", "automobile", ...]
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn class_names(&self) -> Result<Vec<String>> {
        let mut classes = Vec::new();
        for entry in read_dir(&self.dir)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_dir() && !name.starts_with('.') {
                classes.push(name);
            }
        }
        if classes.is_empty() {
            return Err(DatasetError::NoClassFolders { dir: self.dir.clone() });
        }
        if classes.len() > 256 {
            return Err(DatasetError::TooManyClasses { dir: self.dir.clone(), count: classes.len() });
        }
        classes.sort();
        Ok(classes)
    }

    /// Every image file with its label, in the order [`load`](Self::load)
    /// reads them: class by class, each class's files by name. For a loader
    /// that reads the files itself, batch by batch.
    ///
    /// # Errors
    ///
    /// As [`class_names`](Self::class_names), and if no class has an image.
    ///
    /// ```no_run
    /// let files = fireside_datasets::ImageFolder::new("data/train").files()?;
    /// let (first_path, first_label) = &files[0];
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn files(&self) -> Result<Vec<(PathBuf, u8)>> {
        let classes = self.class_names()?;
        let mut files = Vec::new();
        for (label, class) in classes.iter().enumerate() {
            let class_dir = self.dir.join(class);
            let mut paths: Vec<PathBuf> = read_dir(&class_dir)?
                .into_iter()
                .map(|entry| entry.path())
                .filter(|path| path.is_file() && is_image_file(path))
                .collect();
            paths.sort();
            let label = u8::try_from(label).expect("class_names allows at most 256 classes");
            files.extend(paths.into_iter().map(|path| (path, label)));
        }
        if files.is_empty() {
            return Err(DatasetError::NoImages { dir: self.dir.clone(), classes });
        }
        Ok(files)
    }

    /// Reads every image into an [`ImageSet`] of shape
    /// `[len, channels, rows, cols]`, labelled by its class folder.
    ///
    /// # Errors
    ///
    /// If the folder has no class subfolder or no image, or an image cannot
    /// be decoded (the error names the file).
    ///
    /// ```no_run
    /// use fireside_datasets::ImageFolder;
    ///
    /// let train = ImageFolder::new("data/train").target_size(32, 32).load()?;
    /// println!("{train}"); // 8000 images of 32x32x3 in 10 classes
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn load(&self) -> Result<ImageSet> {
        let class_names = self.class_names()?;
        let files = self.files()?;
        let mut size = self.target_size;
        let mut images = Vec::new();
        let mut labels = Vec::with_capacity(files.len());
        for (path, label) in &files {
            let image = read_image(path, size, self.grayscale)?;
            // Without a target size, the first image sets it for the others.
            size = Some((image.rows, image.cols));
            images.extend_from_slice(&image.values);
            labels.push(*label);
        }
        let (rows, cols) = size.expect("files() returns at least one image");
        Ok(ImageSet { images, labels, channels: self.channels(), rows, cols, class_names })
    }

    /// Reads one file as this folder reads its images (same channels, same
    /// target size), to predict its class with a model trained on them.
    ///
    /// # Errors
    ///
    /// If the file cannot be read or decoded.
    ///
    /// ```no_run
    /// use fireside_datasets::ImageFolder;
    ///
    /// let folder = ImageFolder::new("data/train").target_size(32, 32);
    /// let image = folder.load_file("my_cat.jpg")?;
    /// assert_eq!(image.shape(), [3, 32, 32]);
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn load_file(&self, path: impl AsRef<Path>) -> Result<Image> {
        read_image(path.as_ref(), self.target_size, self.grayscale)
    }
}

impl ImageSet {
    /// Writes every image as a PNG file `dir/<class>/<index>.png`, the
    /// layout [`ImageFolder`] (and Keras's `flow_from_directory`) reads. The
    /// index is the image's position in the set, zero-padded to five digits
    /// so that the files sort in the set's order. Folders are created as
    /// needed; a `/` or `\` in a class name becomes `-`.
    ///
    /// # Errors
    ///
    /// If a folder or file cannot be written, or the set has neither 1 nor 3
    /// channels (PNG stores grey-scale or RGB).
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("fireside-doc-save-{}", std::process::id()));
    /// let set = fireside_datasets::Mnist::shipped_subset()?.test.take(3);
    /// set.save_to_folders(&dir)?;
    /// let first = dir.join(set.class_name(set.labels[0])).join("00000.png");
    /// assert!(first.is_file());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), fireside_datasets::DatasetError>(())
    /// ```
    pub fn save_to_folders(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let color = match self.channels {
            1 => image::ExtendedColorType::L8,
            3 => image::ExtendedColorType::Rgb8,
            channels => {
                return Err(DatasetError::Write {
                    path: dir.into(),
                    source: std::io::Error::other(format!(
                        "PNG files hold 1 (grey) or 3 (RGB) channels, but the set has {channels}"
                    )),
                });
            }
        };
        let folders: Vec<PathBuf> =
            self.class_names.iter().map(|name| dir.join(name.replace(['/', '\\'], "-"))).collect();
        for folder in &folders {
            fs::create_dir_all(folder)
                .map_err(|source| DatasetError::Write { path: folder.clone(), source })?;
        }
        let (rows, cols) = (self.rows, self.cols);
        let width = u32::try_from(cols).expect("image width fits in u32");
        let height = u32::try_from(rows).expect("image height fits in u32");
        for index in 0..self.len() {
            let path = folders[usize::from(self.labels[index])].join(format!("{index:05}.png"));
            let bytes = interleave(self.image(index), self.channels, rows * cols);
            image::save_buffer(&path, &bytes, width, height, color).map_err(|error| DatasetError::Write {
                path: path.clone(),
                source: std::io::Error::other(error.to_string()),
            })?;
        }
        Ok(())
    }
}

/// The entries of a folder, or an error naming it.
fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    let io_error = |source| DatasetError::Io { path: dir.into(), source };
    fs::read_dir(dir).map_err(io_error)?.collect::<std::io::Result<Vec<_>>>().map_err(io_error)
}

/// Whether the file's extension is one of [`IMAGE_EXTENSIONS`].
fn is_image_file(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| IMAGE_EXTENSIONS.iter().any(|known| extension.eq_ignore_ascii_case(known)))
}

/// Decodes `path` as RGB (or grey-scale), channels-first in `[0, 1]`,
/// resized to `size` when given.
fn read_image(path: &Path, size: Option<(usize, usize)>, grayscale: bool) -> Result<Image> {
    let bad = |reason: String| DatasetError::BadImage { path: path.into(), reason };
    let bytes = fs::read(path).map_err(|source| DatasetError::Io { path: path.into(), source })?;
    let decoded = image::load_from_memory(&bytes).map_err(|error| bad(error.to_string()))?;
    let (cols, rows) = (decoded.width() as usize, decoded.height() as usize);
    let (channels, interleaved) =
        if grayscale { (1, decoded.into_luma8().into_raw()) } else { (3, decoded.into_rgb8().into_raw()) };
    let planes = deinterleave(&interleaved, channels, rows * cols);
    let (values, rows, cols) = match size {
        Some((target_rows, target_cols)) if (target_rows, target_cols) != (rows, cols) => (
            resize_bilinear(&planes, channels, (rows, cols), (target_rows, target_cols)),
            target_rows,
            target_cols,
        ),
        _ => (planes, rows, cols),
    };
    Ok(Image { values, channels, rows, cols })
}

/// Interleaved bytes (RGBRGB…) to channels-first values in `[0, 1]`.
fn deinterleave(bytes: &[u8], channels: usize, pixels: usize) -> Vec<f32> {
    let mut values = vec![0.0; channels * pixels];
    for (pixel, chunk) in bytes.chunks_exact(channels).enumerate() {
        for (channel, &byte) in chunk.iter().enumerate() {
            values[channel * pixels + pixel] = f32::from(byte) / 255.0;
        }
    }
    values
}

/// Channels-first values in `[0, 1]` to interleaved bytes, rounded.
fn interleave(values: &[f32], channels: usize, pixels: usize) -> Vec<u8> {
    let mut bytes = vec![0; channels * pixels];
    for pixel in 0..pixels {
        for channel in 0..channels {
            let value = values[channel * pixels + pixel];
            bytes[pixel * channels + channel] = (value.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    bytes
}

/// Bilinear resizing of channels-first planes, sampling at pixel centres
/// (the convention of PIL and OpenCV, so that a 2× upscale does not shift
/// the image by half a pixel).
fn resize_bilinear(
    planes: &[f32],
    channels: usize,
    (rows, cols): (usize, usize),
    (new_rows, new_cols): (usize, usize),
) -> Vec<f32> {
    // For each output coordinate: the two source indices and the weight of the second.
    let axis = |from: usize, to: usize| -> Vec<(usize, usize, f32)> {
        let scale = from as f32 / to as f32;
        (0..to)
            .map(|i| {
                let source = ((i as f32 + 0.5) * scale - 0.5).clamp(0.0, (from - 1) as f32);
                let low = source.floor() as usize;
                let high = (low + 1).min(from - 1);
                (low, high, source - low as f32)
            })
            .collect()
    };
    let (ys, xs) = (axis(rows, new_rows), axis(cols, new_cols));
    let mut out = Vec::with_capacity(channels * new_rows * new_cols);
    for plane in planes.chunks_exact(rows * cols) {
        for &(y0, y1, wy) in &ys {
            for &(x0, x1, wx) in &xs {
                let at = |y: usize, x: usize| plane[y * cols + x];
                let top = at(y0, x0) * (1.0 - wx) + at(y0, x1) * wx;
                let bottom = at(y1, x0) * (1.0 - wx) + at(y1, x1) * wx;
                out.push(top * (1.0 - wy) + bottom * wy);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::scratch_dir;

    /// Three 2×2 RGB images in classes "b", "a", "b": pixel values encode
    /// image, channel and position, all multiples of 1/255.
    fn tiny_rgb_set() -> ImageSet {
        let images = (0..3)
            .flat_map(|image| (0..12).map(move |value| (image * 40 + value * 3) as f32 / 255.0))
            .collect();
        ImageSet {
            images,
            labels: vec![1, 0, 1],
            channels: 3,
            rows: 2,
            cols: 2,
            class_names: vec!["a".into(), "b".into()],
        }
    }

    #[test]
    fn saved_folders_load_back_unchanged() {
        let dir = scratch_dir("folder-round-trip");
        let set = tiny_rgb_set();
        set.save_to_folders(&dir).unwrap();
        assert!(dir.join("b/00000.png").is_file() && dir.join("a/00001.png").is_file());

        let loaded = ImageFolder::new(&dir).load().unwrap();
        assert_eq!(loaded.class_names, ["a", "b"]);
        // Class by class: image 1 (class a), then images 0 and 2 (class b).
        assert_eq!(loaded.labels, [0, 1, 1]);
        assert_eq!(loaded.shape(), [3, 3, 2, 2]);
        assert_eq!(loaded.image(0), set.image(1));
        assert_eq!(loaded.image(1), set.image(0));
        assert_eq!(loaded.image(2), set.image(2));
    }

    #[test]
    fn grayscale_sets_save_and_load_with_one_channel() {
        let dir = scratch_dir("folder-grey");
        let set = ImageSet {
            images: vec![0.0, 1.0, 0.2, 0.6],
            labels: vec![0],
            channels: 1,
            rows: 2,
            cols: 2,
            class_names: vec!["T-shirt/top".into()],
        };
        set.save_to_folders(&dir).unwrap();
        let folder = ImageFolder::new(&dir).grayscale();
        let loaded = folder.load().unwrap();
        assert_eq!(loaded.class_names, ["T-shirt-top"], "a slash cannot be in a folder name");
        assert_eq!(loaded.shape(), [1, 1, 2, 2]);
        assert_eq!(loaded.images, [0.0, 1.0, 51.0 / 255.0, 153.0 / 255.0]);

        // The same file read as RGB repeats the grey value in every channel.
        let rgb = load_image(dir.join("T-shirt-top/00000.png"), (2, 2)).unwrap();
        assert_eq!(rgb.shape(), [3, 2, 2]);
        assert_eq!(rgb.values[..4], rgb.values[8..]);
    }

    #[test]
    fn jpeg_files_are_read_and_resized() {
        let dir = scratch_dir("folder-jpeg");
        fs::create_dir_all(dir.join("red")).unwrap();
        let red = image::RgbImage::from_pixel(8, 6, image::Rgb([250, 0, 0]));
        red.save(dir.join("red/one.JPG")).unwrap();
        fs::write(dir.join("red/notes.txt"), "not an image").unwrap();

        let set = ImageFolder::new(&dir).target_size(3, 4).load().unwrap();
        assert_eq!(set.shape(), [1, 3, 3, 4]);
        let image = set.image(0);
        assert!(image[..12].iter().all(|&r| r > 0.9), "red plane: {:?}", &image[..12]);
        assert!(image[12..].iter().all(|&v| v < 0.1), "green and blue planes");
    }

    #[test]
    fn without_a_target_size_images_take_the_size_of_the_first() {
        let dir = scratch_dir("folder-sizes");
        fs::create_dir_all(dir.join("x")).unwrap();
        image::GrayImage::from_pixel(4, 2, image::Luma([10])).save(dir.join("x/a.png")).unwrap();
        image::GrayImage::from_pixel(8, 8, image::Luma([10])).save(dir.join("x/b.png")).unwrap();
        let set = ImageFolder::new(&dir).grayscale().load().unwrap();
        assert_eq!(set.shape(), [2, 1, 2, 4]);
    }

    #[test]
    fn bilinear_resize_interpolates_between_pixel_centres() {
        // 1×2 → 1×4: centres at -0.25, 0.25, 0.75, 1.25 of the source, clamped.
        let resized = resize_bilinear(&[0.0, 1.0], 1, (1, 2), (1, 4));
        assert_eq!(resized, [0.0, 0.25, 0.75, 1.0]);
        // 4×4 → 2×2 averages each 2×2 block (its centre is between the four).
        let plane: Vec<f32> = (0..16).map(|v| v as f32).collect();
        assert_eq!(resize_bilinear(&plane, 1, (4, 4), (2, 2)), [2.5, 4.5, 10.5, 12.5]);
    }

    #[test]
    fn a_folder_without_subfolders_is_reported() {
        let dir = scratch_dir("folder-flat");
        fs::write(dir.join("cat.png"), b"").unwrap();
        fs::create_dir_all(dir.join(".ipynb_checkpoints")).unwrap();
        let error = ImageFolder::new(&dir).load().unwrap_err();
        assert!(matches!(error, DatasetError::NoClassFolders { .. }), "{error:?}");
        assert!(error.to_string().contains("has no class subfolders"), "{error}");
    }

    #[test]
    fn class_folders_without_images_are_reported() {
        let dir = scratch_dir("folder-empty");
        fs::create_dir_all(dir.join("cat")).unwrap();
        fs::create_dir_all(dir.join("dog")).unwrap();
        let error = ImageFolder::new(&dir).load().unwrap_err();
        assert!(matches!(&error, DatasetError::NoImages { classes, .. } if classes == &["cat", "dog"]));
        assert!(error.to_string().contains("(cat, dog) but no .png"), "{error}");
    }

    #[test]
    fn an_undecodable_image_is_named() {
        let dir = scratch_dir("folder-bad-image");
        fs::create_dir_all(dir.join("cat")).unwrap();
        fs::write(dir.join("cat/broken.png"), b"not a png at all").unwrap();
        let error = ImageFolder::new(&dir).load().unwrap_err();
        let broken = dir.join("cat/broken.png");
        assert!(matches!(&error, DatasetError::BadImage { path, .. } if *path == broken), "{error:?}");
        assert!(error.to_string().contains("broken.png"), "{error}");
    }

    #[test]
    fn a_missing_folder_is_an_io_error_naming_it() {
        let dir = scratch_dir("folder-missing").join("nowhere");
        let error = ImageFolder::new(&dir).class_names().unwrap_err();
        assert!(matches!(&error, DatasetError::Io { path, .. } if *path == dir), "{error:?}");
    }

    #[test]
    fn sets_of_two_channels_cannot_be_saved_as_png() {
        let mut set = tiny_rgb_set();
        set.channels = 2;
        set.images.truncate(set.len() * 2 * 4);
        let error = set.save_to_folders(scratch_dir("folder-two-channels")).unwrap_err();
        assert!(error.to_string().contains("has 2"), "{error}");
    }
}
