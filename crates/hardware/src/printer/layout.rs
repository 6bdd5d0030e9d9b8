//! What goes on the paper: the queue ticket and the appointment receipt, drawn as
//! one bitmap at the printer's dot width (384 for 58 mm, 576 for 80 mm paper).
//! The app passes text already formatted; the layout decides sizes and order.

use super::raster::{Align, Bitmap, Weight, one_line_px, qr, text};

/// A queue ticket. No name, no phone: a number, a line and times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketPrint {
    /// The centre's name, as citizens know it (wrapped to two lines if long).
    pub hall_name: String,
    /// e.g. "A023".
    pub number: String,
    /// e.g. "Hộ tịch".
    pub service_name: String,
    /// e.g. "Quầy 1, 2", when known.
    pub counters: Option<String>,
    /// Priority group label, e.g. "Người cao tuổi", for priority tickets.
    pub priority: Option<String>,
    /// Local time of issue, e.g. "08:41 23/11/2026".
    pub issued_at: String,
    pub waiting_ahead: Option<u32>,
    pub estimated_wait_minutes: Option<u32>,
    /// Where a phone can follow the ticket (printed as a QR code).
    pub follow_url: Option<String>,
    /// On result-return tickets: the dossier code.
    pub dossier_code: Option<String>,
    /// Last lines: how the queue works, the hotline.
    pub footer: String,
    /// Given out by the kiosk on its own while the hall service was away: printed
    /// with a plain mark saying so, and without a QR code (no page to follow yet).
    pub offline: bool,
}

/// An appointment receipt (giấy tiếp nhận hồ sơ và hẹn trả kết quả), short form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptPrint {
    pub hall_name: String,
    pub dossier_code: String,
    pub procedure: String,
    /// Masked on anything public; the receipt is the citizen's own paper.
    pub citizen_name: String,
    pub received_at: String,
    pub due_at: String,
    pub return_place: String,
    /// Where the status can be looked up (printed as a QR code with the code).
    pub lookup_url: Option<String>,
    pub footer: String,
}

/// Sizes scale with the paper: the same ticket reads the same on 58 and 80 mm.
struct Scale(f32);

impl Scale {
    fn for_width(width: u32) -> Self {
        Scale(width as f32 / 576.0)
    }
    fn px(&self, at_80mm: f32) -> f32 {
        (at_80mm * self.0).round()
    }
    fn dots(&self, at_80mm: u32) -> u32 {
        (at_80mm as f32 * self.0).round() as u32
    }
}

/// Stacks pieces top to bottom with gaps; text keeps `margin` dots off each edge.
struct Column {
    width: u32,
    margin: u32,
    parts: Vec<(Bitmap, u32)>,
}

impl Column {
    fn new(width: u32, margin: u32) -> Self {
        Column {
            width,
            margin,
            parts: Vec::new(),
        }
    }

    fn add(&mut self, b: Bitmap, gap_before: u32) {
        self.parts.push((b, gap_before));
    }

    fn aligned(&mut self, s: &str, px: f32, weight: Weight, align: Align, gap_before: u32) {
        let inner = text(s, px, weight, align, self.width - 2 * self.margin);
        let mut b = Bitmap::new(self.width, inner.height());
        b.paste(&inner, self.margin, 0);
        self.add(b, gap_before);
    }

    fn text(&mut self, s: &str, px: f32, weight: Weight, gap_before: u32) {
        self.aligned(s, px, weight, Align::Center, gap_before);
    }

    /// White text on a black band: the mark of a priority ticket.
    fn banner(&mut self, s: &str, px: f32, gap_before: u32) {
        let inner = text(
            s,
            px,
            Weight::Bold,
            Align::Center,
            self.width - 2 * self.margin,
        );
        let pad = (px / 5.0).round() as u32;
        let height = inner.height() + 2 * pad;
        let mut b = Bitmap::new(self.width, height);
        b.fill(self.margin, 0, self.width - 2 * self.margin, height);
        for y in 0..inner.height() {
            for x in 0..inner.width() {
                if inner.get(x, y) {
                    b.set(self.margin + x, pad + y, false);
                }
            }
        }
        self.add(b, gap_before);
    }

    fn rule(&mut self, gap_before: u32, margin: u32) {
        let mut b = Bitmap::new(self.width, 2);
        b.fill(margin, 0, self.width.saturating_sub(2 * margin), 2);
        self.add(b, gap_before);
    }

    fn finish(self) -> Bitmap {
        let height: u32 = self.parts.iter().map(|(b, gap)| b.height() + gap).sum();
        let mut out = Bitmap::new(self.width, height);
        let mut y = 0;
        for (b, gap) in &self.parts {
            y += gap;
            out.paste(b, 0, y);
            y += b.height();
        }
        out
    }
}

/// The queue ticket as the printer should print it.
pub fn ticket(t: &TicketPrint, width: u32) -> Bitmap {
    let s = Scale::for_width(width);
    let mut c = Column::new(width, s.dots(16));
    c.text(&t.hall_name.to_uppercase(), s.px(24.0), Weight::Bold, 0);
    c.rule(s.dots(10), s.dots(40));
    c.text("SỐ THỨ TỰ", s.px(30.0), Weight::Bold, s.dots(10));
    let number_px = one_line_px(&t.number, s.px(150.0), Weight::Bold, width - 2 * s.dots(16));
    c.text(&t.number, number_px, Weight::Bold, 0);
    if t.offline {
        c.banner("CẤP KHI MẤT KẾT NỐI", s.px(26.0), s.dots(4));
        c.text(
            "Lượt của ông/bà đã được ghi lại và sẽ được gọi theo thứ tự.",
            s.px(22.0),
            Weight::Regular,
            s.dots(2),
        );
    }
    if let Some(p) = &t.priority {
        c.banner(&format!("ƯU TIÊN – {p}"), s.px(28.0), s.dots(4));
    }
    c.text(&t.service_name, s.px(36.0), Weight::Bold, s.dots(6));
    if let Some(counters) = &t.counters {
        c.text(counters, s.px(28.0), Weight::Regular, s.dots(2));
    }
    if let Some(code) = &t.dossier_code {
        c.text(
            &format!("Mã hồ sơ: {code}"),
            s.px(24.0),
            Weight::Bold,
            s.dots(8),
        );
    }
    c.text(&t.issued_at, s.px(26.0), Weight::Regular, s.dots(10));
    match t.waiting_ahead {
        Some(0) => c.text(
            "Ông/bà là người tiếp theo",
            s.px(26.0),
            Weight::Regular,
            s.dots(4),
        ),
        Some(n) => c.text(
            &format!("Số người đang chờ trước: {n}"),
            s.px(26.0),
            Weight::Regular,
            s.dots(4),
        ),
        None => {}
    }
    if let Some(m) = t.estimated_wait_minutes.filter(|m| *m > 0) {
        c.text(
            &format!("Thời gian chờ dự kiến: khoảng {m} phút"),
            s.px(24.0),
            Weight::Regular,
            0,
        );
    }
    if let Some(code) = t
        .follow_url
        .as_deref()
        .filter(|_| !t.offline)
        .and_then(|url| qr(url, s.dots(6).max(3), width))
    {
        c.add(code, s.dots(6));
        c.text(
            "Quét mã để theo dõi lượt của bạn",
            s.px(22.0),
            Weight::Regular,
            0,
        );
    }
    c.rule(s.dots(10), s.dots(40));
    c.text(&t.footer, s.px(22.0), Weight::Regular, s.dots(8));
    c.finish()
}

/// The appointment receipt as the printer should print it.
pub fn receipt(r: &ReceiptPrint, width: u32) -> Bitmap {
    let s = Scale::for_width(width);
    let mut c = Column::new(width, s.dots(16));
    c.text(&r.hall_name.to_uppercase(), s.px(24.0), Weight::Bold, 0);
    c.rule(s.dots(10), s.dots(40));
    c.text(
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        s.px(28.0),
        Weight::Bold,
        s.dots(10),
    );
    c.text("Mã hồ sơ", s.px(24.0), Weight::Regular, s.dots(12));
    c.text(&r.dossier_code, s.px(30.0), Weight::Bold, 0);
    if let Some(code) = qr(
        &r.lookup_url
            .clone()
            .unwrap_or_else(|| r.dossier_code.clone()),
        s.dots(5).max(3),
        width,
    ) {
        c.add(code, s.dots(4));
    }
    let left = |c: &mut Column, label: &str, value: &str| {
        let line = format!("{label}: {value}");
        c.aligned(&line, s.px(24.0), Weight::Regular, Align::Left, s.dots(6));
    };
    left(&mut c, "Thủ tục", &r.procedure);
    left(&mut c, "Người nộp", &r.citizen_name);
    left(&mut c, "Nhận lúc", &r.received_at);
    c.text(
        &format!("Hẹn trả kết quả: {}", r.due_at),
        s.px(28.0),
        Weight::Bold,
        s.dots(12),
    );
    c.text(
        &format!("Tại: {}", r.return_place),
        s.px(24.0),
        Weight::Regular,
        s.dots(2),
    );
    c.rule(s.dots(10), s.dots(40));
    c.text(&r.footer, s.px(22.0), Weight::Regular, s.dots(8));
    c.finish()
}

/// A ticket with realistic demo content, for `print-test`, tests and benchmarks.
pub fn sample_ticket() -> TicketPrint {
    TicketPrint {
        hall_name: "Trung tâm Phục vụ hành chính công phường Hòa Bình".into(),
        number: "A023".into(),
        service_name: "Hộ tịch".into(),
        counters: Some("Quầy 1, 2".into()),
        priority: None,
        issued_at: "08:41 24/11/2026".into(),
        waiting_ahead: Some(7),
        estimated_wait_minutes: Some(15),
        follow_url: Some("http://192.168.1.10:8080/t/23".into()),
        dossier_code: None,
        footer: "Vui lòng chờ gọi số; quá lượt vui lòng lấy số mới.".into(),
        offline: false,
    }
}

/// An appointment receipt with realistic demo content.
pub fn sample_receipt() -> ReceiptPrint {
    ReceiptPrint {
        hall_name: "Trung tâm Phục vụ hành chính công phường Hòa Bình".into(),
        dossier_code: "000.00.12.H27-261124-0042".into(),
        procedure: "Đăng ký khai sinh".into(),
        citizen_name: "Nguyễn Thị Hoa".into(),
        received_at: "08:52 24/11/2026".into(),
        due_at: "16:30 24/11/2026".into(),
        return_place: "Quầy 8 – Trả kết quả".into(),
        lookup_url: Some("http://192.168.1.10:8080/tra-cuu/000.00.12.H27-261124-0042".into()),
        footer: "Xin mang theo giấy này khi đến nhận kết quả.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::escpos::job;
    use super::super::sim::Simulator;
    use super::*;

    /// Prints the sample ticket and receipt on 58 and 80 mm paper through the
    /// simulator and keeps the PNGs in `target/tickets/` for a person to look at.
    #[test]
    fn sample_papers_print_whole_on_both_widths() {
        let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/tickets");
        std::fs::create_dir_all(&out).unwrap();
        let mut priority = sample_ticket();
        priority.priority = Some("Người cao tuổi".into());
        priority.number = "B007".into();
        priority.service_name = "Tư pháp – Chứng thực".into();
        let mut result_return = sample_ticket();
        result_return.number = "K012".into();
        result_return.service_name = "Trả kết quả".into();
        result_return.dossier_code = Some("000.00.12.H27-261124-0042".into());
        let mut offline = sample_ticket();
        offline.number = "A-K1-007".into();
        offline.offline = true;
        offline.waiting_ahead = None;
        offline.estimated_wait_minutes = None;
        for (mm, width) in [(58, 384), (80, 576)] {
            let tickets = [
                ("ticket", sample_ticket()),
                ("priority", priority.clone()),
                ("result-return", result_return.clone()),
                ("offline", offline.clone()),
            ];
            let mut papers: Vec<(&str, Bitmap, Option<String>)> = tickets
                .iter()
                .map(|(name, t)| (*name, ticket(t, width), Some(t.number.clone())))
                .collect();
            papers.push(("receipt", receipt(&sample_receipt(), width), None));
            for (name, picture, number) in papers {
                let mut sim = Simulator::new(width);
                sim.receive(&job(&picture)).unwrap();
                let sheet = &sim.sheets()[0];
                assert_eq!(sheet.width(), width);
                sheet
                    .to_image()
                    .save(out.join(format!("{name}-{mm}mm.png")))
                    .unwrap();
                // The QR code on the paper opens the ticket's page (or the dossier
                // lookup); a ticket given out offline has no page yet, so no code.
                let mut img = rqrr::PreparedImage::prepare(sheet.to_image());
                let decoded: Vec<String> = img
                    .detect_grids()
                    .iter()
                    .map(|g| g.decode().unwrap().1)
                    .collect();
                let want = match name {
                    "receipt" => sample_receipt().lookup_url,
                    "offline" => None,
                    _ => sample_ticket().follow_url,
                };
                assert_eq!(decoded, Vec::from_iter(want), "{name} {mm} mm");
                // The big number is on the paper as drawn, on one line.
                if let Some(number) = number {
                    let inner = width - 2 * (16 * width / 576);
                    let px =
                        one_line_px(&number, 150.0 * width as f32 / 576.0, Weight::Bold, inner);
                    let big = text(&number, px, Weight::Bold, Align::Center, inner);
                    let one_line = text("A", px, Weight::Bold, Align::Center, inner);
                    assert_eq!(
                        big.height(),
                        one_line.height(),
                        "{name} {mm} mm: number broken"
                    );
                    assert!(
                        sheet.contains(&trim(&big), 0),
                        "{name} {mm} mm: number {number} missing"
                    );
                }
            }
        }
    }

    /// The rows of `b` that have ink.
    fn trim(b: &Bitmap) -> Bitmap {
        let inked = |y| (0..b.width()).any(|x| b.get(x, y));
        let top = (0..b.height()).find(|&y| inked(y)).unwrap_or(0);
        let bottom = (0..b.height())
            .rev()
            .find(|&y| inked(y))
            .map_or(0, |y| y + 1);
        b.crop_rows(top, bottom)
    }
}
