//! Times `Network::run` on the original benchmark model (sensor 1024, three layers of 100),
//! without Python: `cargo run --release -p protobrain-engine --example profile_run -- SENSOR
//! LAYER STEPS` (defaults 1024, 100, 2000).
use std::sync::Arc;
use std::time::Instant;

use protobrain_engine::{
    Activity, Computation, Connection, EncoderKind, Group, Hebbian, Network, NumericalEncoder, Sensor, Source, Weights,
};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("sizes")).collect();
    let (sensor_len, layer, steps) = match args.as_slice() {
        [s, l, n] => (*s, *l, *n),
        [s, l] => (*s, *l, 2000),
        _ => (1024, 100, 2000),
    };
    let mut seed = 1u64;
    let mut uniform = |pre: usize, post: usize| {
        let data = (0..pre * post)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (seed >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect();
        Weights::from_vec(pre, post, data).unwrap()
    };
    let sensor_out = Activity::zeros(&[sensor_len]).unwrap().shared();
    let mut source = Source::Whole(sensor_out.clone());
    let mut pre = sensor_len;
    let mut groups = Vec::new();
    for _ in 0..3 {
        let out = Activity::zeros(&[layer]).unwrap().shared();
        let conn = Arc::new(Connection::new(source, vec![layer], uniform(pre, layer)).unwrap());
        groups.push(
            Group::from_parts(
                out.clone(),
                vec![("main".into(), conn)],
                Some(Computation::k_fraction(0.05).unwrap()),
                Some(Hebbian::new(0.005, 0.001).unwrap()),
            )
            .unwrap(),
        );
        source = Source::Whole(out);
        pre = layer;
    }
    let encoder = NumericalEncoder::new(EncoderKind::Cyclic, 0.0, 100.0, sensor_len, 0.02).unwrap();
    let mut net = Network::new(
        Some(Sensor {
            encoder: Some(encoder),
            output: sensor_out,
        }),
        groups,
    )
    .unwrap();
    let values: Vec<f64> = (0..steps).map(|i| (i % 100) as f64).collect();
    let start = Instant::now();
    net.run(&values, true, &mut [], |_| true).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sensor {sensor_len}, 3x{layer}: {:.0} steps/s ({:.1} us/step)",
        values.len() as f64 / secs,
        secs * 1e6 / values.len() as f64
    );
}
