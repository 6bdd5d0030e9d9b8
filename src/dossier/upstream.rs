//! Pulling dossier status from the province (filled in next).
