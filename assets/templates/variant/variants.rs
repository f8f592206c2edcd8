// This file is intentionally empty: variants are built by buildsys from build.rs.
