//! What a kiosk reads of a dossier lookup (`GET /api/v1/dossiers/{code}`, whose full
//! answer is the core's `PublicDossier`): only what it shows, read leniently so a
//! newer service's answer still reads.

use serde::Deserialize;

use motcua_core::domain::Localized;

/// A dossier's status in plain words, and whether its result waits for pickup.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct DossierLookup {
    #[serde(default)]
    pub code: String,
    /// `result_ready` when the result can be collected.
    #[serde(default)]
    pub status: String,
    pub status_text: Localized,
}

impl DossierLookup {
    pub fn ready(&self) -> bool {
        self.status == "result_ready"
    }
}
