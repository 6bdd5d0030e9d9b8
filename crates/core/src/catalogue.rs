//! The procedure catalogue a kiosk lets citizens browse: each procedure's line,
//! processing time, fee and documents to bring. The service reads it from a TOML file
//! next to the hall config; the built-in demo hall carries a sample.

use serde::{Deserialize, Serialize};

use crate::domain::Localized;
use crate::layout::Layout;

pub const SAMPLE_CATALOGUE: &str = include_str!("../../../assets/catalogue/sample.toml");

/// Why a catalogue was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// Not TOML, or not the catalogue's shape.
    #[error("{0}")]
    Syntax(String),
    /// Readable, but wrong for this hall.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// National or provincial procedure code, e.g. "1.001193".
    pub code: String,
    /// The hall line that handles it.
    pub service: String,
    pub name: Localized,
    pub processing_time: Localized,
    pub fee: Localized,
    pub documents: Vec<Localized>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    procedures: Vec<Procedure>,
}

/// Parses a catalogue and checks it against the hall's lines.
pub fn parse(text: &str, layout: &Layout) -> Result<Vec<Procedure>, CatalogueError> {
    let file: File = toml::from_str(text).map_err(|e| CatalogueError::Syntax(e.to_string()))?;
    let invalid = CatalogueError::Invalid;
    let mut seen = std::collections::HashSet::new();
    for (i, p) in file.procedures.iter().enumerate() {
        if p.code.trim().is_empty() || p.name.vi.trim().is_empty() {
            return Err(invalid(format!(
                "procedures[{i}] needs a code and a Vietnamese name"
            )));
        }
        if layout.service(&p.service).is_none() {
            return Err(invalid(format!(
                "procedures[{i}] ({}) is handled by {:?}, which is not a service code of this hall",
                p.code, p.service
            )));
        }
        if !seen.insert((p.service.clone(), p.code.clone())) {
            return Err(invalid(format!(
                "procedures[{i}]: {} is listed twice",
                p.code
            )));
        }
    }
    Ok(file.procedures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_catalogue_fits_the_sample_hall() {
        let procedures = parse(SAMPLE_CATALOGUE, &Layout::sample()).unwrap();
        assert!(procedures.len() >= 12);
        assert!(
            procedures
                .iter()
                .all(|p| !p.documents.is_empty() && p.name.en.is_some())
        );
    }

    #[test]
    fn a_procedure_for_an_unknown_line_is_named() {
        let text = "[[procedures]]\ncode = \"1\"\nservice = \"ZZ\"\nname = { vi = \"X\" }\n\
                    processing_time = { vi = \"1 ngày\" }\nfee = { vi = \"0\" }\ndocuments = []\n";
        let err = parse(text, &Layout::sample()).unwrap_err().to_string();
        assert!(err.contains("\"ZZ\", which is not a service code"), "{err}");
    }
}
