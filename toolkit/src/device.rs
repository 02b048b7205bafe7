//! The device every notebook computes on, chosen once per process.
//!
//! - A hardware GPU adapter (discrete, integrated or virtual) → burn's
//!   **wgpu** backend on it.
//! - Only a software adapter (Mesa's llvmpipe/lavapipe) or none → burn's
//!   **flex** CPU backend: measured on this project's CNN it trains about 9x
//!   faster than wgpu on lavapipe, and its first step takes milliseconds
//!   instead of a minute of shader compilation.
//! - `FIRESIDE_BACKEND=wgpu|flex` overrides the choice.
//! - wgpu is there only in a build with the toolkit's `gpu` feature, which
//!   `ci/setup` turns on where it finds a GPU (`FIRESIDE_GPU=1` forces it).
//!   Without it, burn's GPU stack is not compiled at all: half of the
//!   toolkit's build time, on a machine that would never run it.
//! - `FIRESIDE_ADAPTER=<number or name>` picks one adapter of
//!   [`adapters()`] on a machine with several GPUs (a cloud machine with
//!   four, a laptop with an integrated and a discrete one): `1`, or a part of
//!   its name such as `A100`. It implies the wgpu backend.
//!
//! The notebooks' code is the same on every backend:
//!
//! ```no_run
//! use fireside::prelude::*;
//! let device = fireside::device::device();
//! let x = Tensor::<2>::ones([2, 3], &device);
//! println!("{}", fireside::device::describe());
//! ```

use crate::display::{MimeBundle, Rich};
use burn::tensor::Device;
#[cfg(feature = "gpu")]
use burn::tensor::wgpu::wgpu;
use std::sync::OnceLock;

/// Whether this build has burn's GPU backend (the toolkit's `gpu` feature).
///
/// ```
/// if !fireside::device::has_gpu_backend() {
///     println!("CPU only: set FIRESIDE_GPU=1 and run `bash ci/setup` to add the GPU backend");
/// }
/// ```
pub const fn has_gpu_backend() -> bool {
    cfg!(feature = "gpu")
}

/// What to do in a build without the GPU backend, for messages.
const HOW_TO_ADD_THE_GPU_BACKEND: &str = "this fireside was built without its GPU backend (the toolkit's `gpu` feature): `FIRESIDE_GPU=1 bash ci/setup` builds it";

/// Which burn backend computes.
///
/// ```
/// use fireside::device::Backend;
/// let backend = fireside::device::info().backend;
/// println!("computing on {backend}");
/// assert_eq!(Backend::Flex.to_string(), "flex");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// burn's wgpu backend, on a GPU (Vulkan, Metal, DX12).
    Wgpu,
    /// burn's flex CPU backend.
    Flex,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Wgpu => "wgpu",
            Backend::Flex => "flex",
        })
    }
}

/// A graphics adapter that wgpu can see.
///
/// ```no_run
/// for adapter in fireside::device::adapters() {
///     println!("{} ({}, {})", adapter.name, adapter.kind, adapter.api);
/// }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    /// The driver's name for it, such as "NVIDIA GeForce RTX 3060" or "llvmpipe".
    pub name: String,
    /// "discrete GPU", "integrated GPU", "virtual GPU", "software (CPU)" or "other".
    pub kind: &'static str,
    /// The graphics API: Vulkan, Metal, DX12.
    pub api: String,
    /// Whether it is a real GPU rather than a software rasterizer.
    pub hardware: bool,
}

/// The device in use and why it was chosen. As a cell's last expression it
/// shows as a table.
///
/// ```
/// let info = fireside::device::info();
/// println!("{} because {}", info.backend, info.reason);
/// assert!(!info.reason.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    /// The backend chosen.
    pub backend: Backend,
    /// The adapter wgpu computes on, when the backend is wgpu.
    pub adapter: Option<Adapter>,
    /// Every adapter wgpu found, chosen or not.
    pub adapters: Vec<Adapter>,
    /// Why this backend was chosen, in words.
    pub reason: String,
}

/// The choice could not be honoured. The first use of the device panics
/// with this message, which says what to do.
///
/// ```
/// use fireside::device::DeviceError;
/// let error = DeviceError::UnknownBackend("cuda".to_owned());
/// assert!(error.to_string().starts_with("FIRESIDE_BACKEND=\"cuda\" is not a backend"));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// `FIRESIDE_BACKEND` names no backend fireside knows.
    #[error("FIRESIDE_BACKEND={0:?} is not a backend: use wgpu or flex, or unset it to let fireside choose")]
    UnknownBackend(String),
    /// `FIRESIDE_ADAPTER` names no adapter wgpu can see.
    #[error(
        "FIRESIDE_ADAPTER={requested:?} matches no adapter; the adapters are: {available}. Set it to one's number or a part of its name, or unset it"
    )]
    NoSuchAdapter {
        /// What `FIRESIDE_ADAPTER` says.
        requested: String,
        /// The adapters found, numbered as `FIRESIDE_ADAPTER` counts them.
        available: String,
    },
    /// wgpu was asked for (`FIRESIDE_BACKEND=wgpu` or `FIRESIDE_ADAPTER`), in a build without it.
    #[error(
        "{variable} asks for the wgpu backend, but {HOW_TO_ADD_THE_GPU_BACKEND}; or unset it to compute on the CPU"
    )]
    NoGpuBackend {
        /// The variable and its value, as `FIRESIDE_BACKEND=wgpu`.
        variable: String,
    },
    /// `FIRESIDE_BACKEND=wgpu` was asked for, but there is no adapter to run it on.
    #[error(
        "FIRESIDE_BACKEND=wgpu, but wgpu finds no adapter: install a Vulkan driver (`apt-get install mesa-vulkan-drivers libvulkan1` for the software one) or use FIRESIDE_BACKEND=flex"
    )]
    NoAdapter,
}

#[cfg(feature = "gpu")]
fn kind_name(kind: wgpu::DeviceType) -> (&'static str, bool) {
    match kind {
        wgpu::DeviceType::DiscreteGpu => ("discrete GPU", true),
        wgpu::DeviceType::IntegratedGpu => ("integrated GPU", true),
        wgpu::DeviceType::VirtualGpu => ("virtual GPU", true),
        wgpu::DeviceType::Cpu => ("software (CPU)", false),
        wgpu::DeviceType::Other => ("other", false),
    }
}

/// The adapters of the primary graphics APIs (Vulkan, Metal, DX12). OpenGL
/// is left out: burn's wgpu backend deadlocks on llvmpipe's OpenGL. None in a
/// build without the GPU backend ([`has_gpu_backend`]).
///
/// ```no_run
/// let gpus = fireside::device::adapters().into_iter().filter(|a| a.hardware).count();
/// println!("{gpus} hardware GPU adapter(s)");
/// ```
pub fn adapters() -> Vec<Adapter> {
    #[cfg(feature = "gpu")]
    return wgpu_adapters();
    #[cfg(not(feature = "gpu"))]
    Vec::new()
}

#[cfg(feature = "gpu")]
fn wgpu_adapters() -> Vec<Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::PRIMARY,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
        .into_iter()
        .map(|adapter| {
            let info = adapter.get_info();
            let (kind, hardware) = kind_name(info.device_type);
            Adapter { name: info.name, kind, api: format!("{:?}", info.backend), hardware }
        })
        .collect()
}

/// The adapter that `FIRESIDE_ADAPTER` asks for: its number in `adapters`
/// (from 0) or a case-insensitive part of its name.
///
/// ```
/// use fireside::device::{Adapter, select_adapter};
/// let gpu = |name: &str| Adapter { name: name.into(), kind: "discrete GPU", api: "Vulkan".into(), hardware: true };
/// let adapters = [gpu("NVIDIA A100 #0"), gpu("NVIDIA H100")];
/// assert_eq!(select_adapter(&adapters, "1").unwrap().name, "NVIDIA H100");
/// assert_eq!(select_adapter(&adapters, "h100").unwrap().name, "NVIDIA H100");
/// assert!(select_adapter(&adapters, "V100").unwrap_err().to_string().contains("0: NVIDIA A100 #0"));
/// ```
pub fn select_adapter(adapters: &[Adapter], requested: &str) -> Result<Adapter, DeviceError> {
    let wanted = requested.trim();
    let by_number = wanted.parse::<usize>().ok().and_then(|i| adapters.get(i));
    let by_name = || adapters.iter().find(|a| a.name.to_lowercase().contains(&wanted.to_lowercase()));
    by_number.or_else(by_name).cloned().ok_or_else(|| DeviceError::NoSuchAdapter {
        requested: requested.to_owned(),
        available: if adapters.is_empty() {
            "none (install a GPU driver, or Mesa's for the software adapter)".to_owned()
        } else {
            let list: Vec<String> =
                adapters.iter().enumerate().map(|(i, a)| format!("{i}: {} ({})", a.name, a.kind)).collect();
            list.join("; ")
        },
    })
}

#[cfg(feature = "gpu")]
/// burn's selector for `adapter`: its kind and its number among the
/// adapters of that kind, the way burn's wgpu backend counts them.
fn device_kind_of(adapter: &Adapter, adapters: &[Adapter]) -> burn::tensor::DeviceKind {
    use burn::tensor::DeviceKind;
    let index = adapters.iter().filter(|a| a.kind == adapter.kind).position(|a| a == adapter).unwrap_or(0);
    match adapter.kind {
        "discrete GPU" => DeviceKind::DiscreteGpu(index),
        "integrated GPU" => DeviceKind::IntegratedGpu(index),
        "virtual GPU" => DeviceKind::VirtualGpu(index),
        "software (CPU)" => DeviceKind::Cpu,
        _ => DeviceKind::DefaultDevice,
    }
}

#[cfg(feature = "gpu")]
/// Native wgpu futures are ready at once; this drives one without a runtime.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::yield_now();
    }
}

fn choose() -> Result<DeviceInfo, DeviceError> {
    let adapters = adapters();
    let best = adapters
        .iter()
        .filter(|a| a.hardware)
        .min_by_key(|a| match a.kind {
            "discrete GPU" => 0,
            "integrated GPU" => 1,
            _ => 2,
        })
        .cloned();
    let requested = std::env::var("FIRESIDE_BACKEND").ok().filter(|v| !v.is_empty());
    let adapter_request = std::env::var("FIRESIDE_ADAPTER").ok().filter(|v| !v.trim().is_empty());
    if !has_gpu_backend() {
        return cpu_only(requested.as_deref(), adapter_request.as_deref());
    }
    if let (Some(wanted), None | Some("wgpu")) = (&adapter_request, requested.as_deref()) {
        let adapter = select_adapter(&adapters, wanted)?;
        return Ok(DeviceInfo {
            backend: Backend::Wgpu,
            reason: format!("FIRESIDE_ADAPTER={wanted}"),
            adapter: Some(adapter),
            adapters,
        });
    }
    let info = match requested.as_deref() {
        Some("flex") => DeviceInfo {
            backend: Backend::Flex,
            adapter: None,
            reason: "FIRESIDE_BACKEND=flex".to_owned(),
            adapters,
        },
        Some("wgpu") => {
            let adapter = best.or_else(|| adapters.first().cloned()).ok_or(DeviceError::NoAdapter)?;
            DeviceInfo {
                backend: Backend::Wgpu,
                reason: "FIRESIDE_BACKEND=wgpu".to_owned(),
                adapter: Some(adapter),
                adapters,
            }
        }
        Some(other) => return Err(DeviceError::UnknownBackend(other.to_owned())),
        None => match best {
            Some(adapter) => DeviceInfo {
                backend: Backend::Wgpu,
                reason: format!("a hardware GPU adapter is present ({})", adapter.kind),
                adapter: Some(adapter),
                adapters,
            },
            None => {
                let reason = match adapters.first() {
                    Some(software) => format!(
                        "the only wgpu adapter, {}, is a software rasterizer; flex is much faster on the CPU",
                        software.name
                    ),
                    None => "wgpu finds no adapter".to_owned(),
                };
                DeviceInfo { backend: Backend::Flex, adapter: None, reason, adapters }
            }
        },
    };
    Ok(info)
}

/// The choice in a build without the GPU backend: flex, or an error that
/// says how to get wgpu where a variable asks for it.
fn cpu_only(backend: Option<&str>, adapter: Option<&str>) -> Result<DeviceInfo, DeviceError> {
    let asked_for_wgpu = match (backend, adapter) {
        (Some("wgpu"), _) => Some("FIRESIDE_BACKEND=wgpu".to_owned()),
        (None, Some(adapter)) => Some(format!("FIRESIDE_ADAPTER={adapter}")),
        (Some("flex") | None, _) => None,
        (Some(other), _) => return Err(DeviceError::UnknownBackend(other.to_owned())),
    };
    if let Some(variable) = asked_for_wgpu {
        return Err(DeviceError::NoGpuBackend { variable });
    }
    let reason = match backend {
        Some("flex") => "FIRESIDE_BACKEND=flex".to_owned(),
        _ => format!("{HOW_TO_ADD_THE_GPU_BACKEND} where there is a GPU"),
    };
    Ok(DeviceInfo { backend: Backend::Flex, adapter: None, adapters: Vec::new(), reason })
}

struct Chosen {
    info: DeviceInfo,
    device: Device,
}

fn chosen() -> &'static Chosen {
    static CHOSEN: OnceLock<Chosen> = OnceLock::new();
    CHOSEN.get_or_init(|| {
        let info = choose().unwrap_or_else(|error| panic!("{error}"));
        let device = match info.backend {
            // The adapter wgpu ranks first is the high-power one we found,
            // unless FIRESIDE_ADAPTER named another.
            Backend::Wgpu => wgpu_device(&info),
            Backend::Flex => Device::flex(),
        };
        Chosen { info, device: device.autodiff() }
    })
}

#[cfg(feature = "gpu")]
fn wgpu_device(info: &DeviceInfo) -> Device {
    share_kernel_caches();
    match (&info.adapter, std::env::var_os("FIRESIDE_ADAPTER")) {
        (Some(adapter), Some(_)) => Device::wgpu(device_kind_of(adapter, &info.adapters)),
        _ => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
    }
}

#[cfg(not(feature = "gpu"))]
fn wgpu_device(_: &DeviceInfo) -> Device {
    unreachable!("cpu_only() never chooses wgpu")
}

#[cfg(feature = "gpu")]
/// Keeps cubecl's autotune results (the fastest kernel variant per shape;
/// compiled shaders are the driver's cache) in the user's cache directory (`~/.cache/cubecl` on Linux) instead of the `target/` of
/// the outermost Cargo project above the working directory, cubecl's default.
/// A notebook's working directory is wherever the notebook is, so with the
/// default every folder and every fresh clone tuned its kernels again: a
/// first wgpu step of a minute on lavapipe each time. A `cubecl.toml` that
/// names another place (`local`, `global`, a directory) is obeyed.
fn share_kernel_caches() {
    use cubecl_runtime::config::{CubeClRuntimeConfig, RuntimeConfig, cache::CacheConfig};
    let mut config = CubeClRuntimeConfig::from_current_dir().override_from_env();
    if matches!(config.environment.path, CacheConfig::Target) {
        config.environment.path = CacheConfig::Global;
    }
    // Fails only if cubecl has read its configuration already: then it keeps that one.
    let _ = CubeClRuntimeConfig::try_set(config);
}

/// The device to create tensors and models on (with autodiff), chosen on
/// first use: a GPU when there is one, else the CPU. Where PyTorch writes
/// `torch.zeros(2, 3, device=device)`, pass `&device()`.
///
/// ```
/// use fireside::prelude::*;
/// let x = Tensor::<2>::zeros([2, 3], &device());
/// assert_eq!(x.dims(), [2, 3]);
/// ```
pub fn device() -> Device {
    chosen().device.clone()
}

/// Seeds the device's random numbers (weight initialization, dropout,
/// `Tensor::random`), so that a notebook gives the same results each run.
///
/// ```no_run
/// fireside::device::seed(42);
/// ```
pub fn seed(seed: u64) {
    device().seed(seed);
}

/// Which backend and adapter are in use, and why.
///
/// ```
/// let info = fireside::device::info();
/// if let Some(gpu) = &info.adapter {
///     println!("training on {}", gpu.name);
/// }
/// ```
pub fn info() -> DeviceInfo {
    chosen().info.clone()
}

/// The backend chosen ([`info`]'s, without copying the rest).
pub(crate) fn backend() -> Backend {
    chosen().info.backend
}

/// One line per fact, for `fireside doctor` and notebooks.
///
/// ```
/// let text = fireside::device::describe();
/// println!("{text}");   // backend: …, why: …, adapters: …
/// assert!(text.starts_with("backend:"));
/// ```
pub fn describe() -> String {
    info().to_string()
}

impl DeviceInfo {
    /// The device and the reason in one line, as model summaries show it:
    /// "flex on the CPU (2 threads), because …".
    ///
    /// ```
    /// let line = fireside::device::info().headline();
    /// assert!(line.contains(", because "));
    /// ```
    pub fn headline(&self) -> String {
        let on = match &self.adapter {
            Some(adapter) => format!("wgpu on {} ({})", adapter.name, adapter.kind),
            None => format!(
                "{} on the CPU ({} threads)",
                self.backend,
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
        };
        format!("{on}, because {}", self.reason)
    }
}

impl std::fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.adapter {
            Some(adapter) => {
                writeln!(f, "backend: wgpu on {} ({}, {})", adapter.name, adapter.kind, adapter.api)?
            }
            None => writeln!(
                f,
                "backend: {} (CPU, {} threads)",
                self.backend,
                std::thread::available_parallelism().map_or(1, |n| n.get())
            )?,
        }
        writeln!(f, "why:     {}", self.reason)?;
        if self.adapters.is_empty() {
            write!(f, "adapters: none")
        } else {
            let list: Vec<String> =
                self.adapters.iter().map(|a| format!("{} ({}, {})", a.name, a.kind, a.api)).collect();
            write!(f, "adapters: {}", list.join("; "))
        }
    }
}

impl Rich for DeviceInfo {
    fn to_mime(&self) -> MimeBundle {
        let rows: String = self
            .to_string()
            .lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| {
                format!(
                    "<tr><th style=\"text-align:left\">{k}</th><td style=\"text-align:left\">{}</td></tr>",
                    crate::display::escape(v.trim())
                )
            })
            .collect();
        MimeBundle::text(self.to_string()).with("text/html", format!("<table>{rows}</table>"))
    }
}

#[cfg(all(test, not(feature = "gpu")))]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_only_build_computes_on_flex_and_says_how_to_get_wgpu() {
        let info = cpu_only(None, None).unwrap();
        assert_eq!(info.backend, Backend::Flex);
        assert!(info.reason.contains("FIRESIDE_GPU=1 bash ci/setup"), "{}", info.reason);
        assert_eq!(cpu_only(Some("flex"), None).unwrap().reason, "FIRESIDE_BACKEND=flex");
        let error = cpu_only(Some("wgpu"), None).unwrap_err().to_string();
        assert!(error.starts_with("FIRESIDE_BACKEND=wgpu asks for the wgpu backend"), "{error}");
        assert!(error.contains("FIRESIDE_GPU=1 bash ci/setup"), "{error}");
        let error = cpu_only(None, Some("H100")).unwrap_err().to_string();
        assert!(error.starts_with("FIRESIDE_ADAPTER=H100 asks for the wgpu backend"), "{error}");
        assert!(matches!(cpu_only(Some("cuda"), None), Err(DeviceError::UnknownBackend(_))));
    }
}
