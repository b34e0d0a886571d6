//! Checks that a built binary runs on its Lambda runtime: the right CPU, and
//! no symbol from a glibc newer than the runtime's.

use object::Endianness;
use object::elf::{EM_AARCH64, EM_X86_64, FileHeader64, SHT_DYNSYM};
use object::read::elf::{FileHeader, Sym};

use crate::manifest::model::Architecture;

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct ElfInfo {
    pub machine: Option<Architecture>,
    /// The highest `GLIBC_x.y` any imported symbol needs, and that symbol.
    pub max_glibc: Option<((u32, u32, u32), String)>,
}

/// Why a binary cannot be read, or would not run on its runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a 64-bit ELF binary")]
    NotElf,
    #[error("{0}")]
    Read(#[from] object::read::Error),
    #[error("it is built for {}, but the function runs on {}", built.id(), runs.id())]
    WrongCpu {
        built: Architecture,
        runs: Architecture,
    },
    #[error("it is not an {} binary", .0.id())]
    NotArch(Architecture),
    #[error("it needs GLIBC {needs} (symbol `{symbol}`), but {runtime} has glibc {}.{}", has.0, has.1)]
    Glibc {
        /// `2.35`, or `2.35.1`.
        needs: String,
        symbol: String,
        runtime: String,
        has: (u32, u32),
    },
}

/// Reads the ELF header and the versions of the imported symbols.
pub fn inspect(data: &[u8]) -> Result<ElfInfo, Error> {
    let header = FileHeader64::<Endianness>::parse(data).map_err(|_| Error::NotElf)?;
    let endian = header.endian()?;
    let machine = match header.e_machine.get(endian) {
        EM_AARCH64 => Some(Architecture::Arm64),
        EM_X86_64 => Some(Architecture::X86_64),
        _ => None,
    };
    let sections = header.sections(endian, data)?;
    let symbols = sections.symbols(endian, data, SHT_DYNSYM)?;
    let versions = sections.versions(endian, data)?;
    let mut max_glibc: Option<((u32, u32, u32), String)> = None;
    if let Some(versions) = versions {
        for (i, sym) in symbols.symbols().iter().enumerate() {
            if !sym.is_undefined(endian) {
                continue;
            }
            let vi = versions.version_index(endian, object::SymbolIndex(i));
            let Ok(Some(v)) = versions.version(vi.index()) else {
                continue;
            };
            let Some(ver) = glibc_version(v.name()) else {
                continue;
            };
            if max_glibc.as_ref().is_none_or(|(m, _)| ver > *m) {
                let name = sym
                    .name(endian, symbols.strings())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                max_glibc = Some((ver, name));
            }
        }
    }
    Ok(ElfInfo { machine, max_glibc })
}

/// `GLIBC_2.34` -> (2, 34, 0).
fn glibc_version(name: &[u8]) -> Option<(u32, u32, u32)> {
    let s = std::str::from_utf8(name).ok()?.strip_prefix("GLIBC_")?;
    let mut parts = s.split('.').map(|p| p.parse::<u32>().ok());
    Some((
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
        parts.next().flatten().unwrap_or(0),
    ))
}

/// Refuses a binary that would not run: a different CPU, or a glibc symbol
/// newer than `glibc`.
pub fn verify(
    info: &ElfInfo,
    arch: Architecture,
    glibc: (u32, u32),
    runtime: &str,
) -> Result<(), Error> {
    match info.machine {
        Some(m) if m == arch => {}
        Some(m) => {
            return Err(Error::WrongCpu {
                built: m,
                runs: arch,
            });
        }
        None => return Err(Error::NotArch(arch)),
    }
    if let Some(((a, b, c), sym)) = &info.max_glibc {
        if (*a, *b) > glibc {
            let v = if *c > 0 {
                format!("{a}.{b}.{c}")
            } else {
                format!("{a}.{b}")
            };
            return Err(Error::Glibc {
                needs: v,
                symbol: sym.clone(),
                runtime: runtime.to_string(),
                has: glibc,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_glibc_versions() {
        assert_eq!(glibc_version(b"GLIBC_2.34"), Some((2, 34, 0)));
        assert_eq!(glibc_version(b"GLIBC_2.2.5"), Some((2, 2, 5)));
        assert_eq!(glibc_version(b"GCC_3.0"), None);
    }

    #[test]
    fn inspects_this_test_binary() {
        // The test binary itself: an x86_64 ELF linked against this
        // machine's glibc.
        let exe = std::env::current_exe().unwrap();
        let info = inspect(&std::fs::read(exe).unwrap()).unwrap();
        if cfg!(all(
            target_arch = "x86_64",
            target_os = "linux",
            target_env = "gnu"
        )) {
            assert_eq!(info.machine, Some(Architecture::X86_64));
            let (ver, sym) = info.max_glibc.clone().unwrap();
            assert!(ver >= (2, 2, 5), "{ver:?}");
            assert!(!sym.is_empty());
        }
    }

    #[test]
    fn refuses_wrong_machine_and_new_glibc() {
        let info = ElfInfo {
            machine: Some(Architecture::X86_64),
            max_glibc: Some(((2, 35, 0), "memcpy".into())),
        };
        let e = verify(&info, Architecture::Arm64, (2, 34), "provided.al2023")
            .unwrap_err()
            .to_string();
        assert!(e.contains("built for x86_64"), "{e}");
        let e = verify(&info, Architecture::X86_64, (2, 34), "provided.al2023")
            .unwrap_err()
            .to_string();
        assert!(e.contains("GLIBC 2.35") && e.contains("memcpy"), "{e}");
        let ok = ElfInfo {
            machine: Some(Architecture::X86_64),
            max_glibc: Some(((2, 17, 0), "x".into())),
        };
        assert!(verify(&ok, Architecture::X86_64, (2, 26), "provided.al2").is_ok());
        assert!(inspect(b"not an elf").is_err());
    }
}
