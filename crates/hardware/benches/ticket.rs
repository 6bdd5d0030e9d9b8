//! How long a ticket takes from data to bytes: `cargo bench -p motcua-hardware`.
//! A kiosk must print "instantly": drawing and encoding should be far below the
//! time a citizen notices (~100 ms), even on a Raspberry Pi, which is several times
//! slower than a desktop. Prints medians; compare runs by ratio.

use std::time::Instant;

use motcua_hardware::printer::escpos::job;
use motcua_hardware::printer::layout::{receipt, sample_receipt, sample_ticket, ticket};
use motcua_hardware::printer::sim::Simulator;

fn median_ms(runs: usize, mut f: impl FnMut()) -> (f64, f64) {
    f(); // the first run parses the fonts
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    (t[t.len() / 2], t[t.len() * 9 / 10])
}

fn main() {
    let t = sample_ticket();
    for (mm, width) in [(58, 384), (80, 576)] {
        let (m, p90) = median_ms(50, || {
            std::hint::black_box(ticket(&t, width));
        });
        println!("draw the ticket, {mm} mm                  median {m:7.2} ms  p90 {p90:7.2} ms");
        let picture = ticket(&t, width);
        let (m, p90) = median_ms(200, || {
            std::hint::black_box(job(&picture));
        });
        println!(
            "encode it as ESC/POS ({} bytes), {mm} mm  median {m:7.3} ms  p90 {p90:7.3} ms",
            job(&picture).len()
        );
        let bytes = job(&picture);
        let (m, p90) = median_ms(50, || {
            let mut sim = Simulator::new(width);
            sim.receive(&bytes).unwrap();
        });
        println!("simulator decodes it to paper, {mm} mm    median {m:7.2} ms  p90 {p90:7.2} ms");
    }
    let r = sample_receipt();
    let (m, p90) = median_ms(50, || {
        std::hint::black_box(receipt(&r, 576));
    });
    println!("draw the appointment receipt, 80 mm      median {m:7.2} ms  p90 {p90:7.2} ms");
}
