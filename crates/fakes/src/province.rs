//! The province's one-stop system as motcua's proposed feed shape: `GET /changes?
//! limit=&cursor=` answers `{cursor, server_time, items: [...]}` with the dossiers
//! changed after the cursor (each item as the province writes it: `ma_ho_so`,
//! `ten_tthc`, `chu_ho_so{ho_ten, so_dien_thoai, dong_y_nhan_tin}`, `ngay_hen_tra`,
//! `trang_thai`, `noi_tra_ket_qua{quay, so_quay}`).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde_json::{Value, json};

use crate::lock;

#[derive(Default)]
pub struct Province {
    /// Every change, oldest first; the cursor is how many were read.
    changes: Vec<Value>,
    pub requests: u32,
}

pub type Shared = Arc<Mutex<Province>>;

impl Province {
    pub fn new() -> Shared {
        Arc::new(Mutex::new(Province::default()))
    }

    /// A dossier changed (its whole item, as the province sends it).
    pub fn change(&mut self, item: Value) {
        self.changes.push(item);
    }
}

#[derive(serde::Deserialize)]
struct Params {
    #[serde(default)]
    cursor: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

pub fn router(province: Shared) -> Router {
    Router::new()
        .route("/changes", get(changes))
        .with_state(province)
}

async fn changes(State(p): State<Shared>, Query(q): Query<Params>) -> axum::Json<Value> {
    let mut p = lock(&p);
    p.requests += 1;
    let from: usize = q
        .cursor
        .as_deref()
        .and_then(|c| c.strip_prefix('c')?.parse().ok())
        .unwrap_or(0)
        .min(p.changes.len());
    let limit = q.limit.unwrap_or(100).max(1);
    let items: Vec<Value> = p.changes[from..].iter().take(limit).cloned().collect();
    let next = from + items.len();
    axum::Json(json!({
        "cursor": format!("c{next}"),
        "server_time": chrono::Utc::now().to_rfc3339(),
        "items": items
    }))
}
