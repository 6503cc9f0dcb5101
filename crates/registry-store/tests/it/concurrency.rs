//! Fifty institutions try to take the same person's same item at the same moment: exactly
//! one wins, every other is refused, round after round, on both engines. The requests go
//! through five separate connections pools, as five server instances over one database
//! would send them.

use std::sync::Arc;

use registry_core::holding::ItemState;
use registry_core::ports::{Conflict, Entity, Register, RegisterTx};
use registry_core::usecases::UseCaseError;
use tokio::sync::Barrier;

use crate::on_both_engines;
use crate::support::*;

const INSTITUTIONS: u32 = 50;
const ROUNDS: u16 = 20;

async fn fifty_institutions_race_for_one_item(db: TestDb) {
    let store = db.store.clone();
    let mut instances = vec![store.clone()];
    for _ in 1..5 {
        instances.push(db.reopen().await);
    }
    let mut institutions = Vec::new();
    for n in 0..INSTITUTIONS {
        institutions.push(institution(&store, n + 1, &format!("第{}鉴定评审机构", n + 1)).await);
    }
    for round in 0..ROUNDS {
        let person = person(
            &store,
            &resident_id(100 + round, "1972-03-04"),
            "并发测试",
            &["YL-ZZ"],
        )
        .await;
        let barrier = Arc::new(Barrier::new(institutions.len()));
        let mut tasks = Vec::new();
        for (n, &institution) in institutions.iter().enumerate() {
            let store = instances[n % instances.len()].clone();
            let barrier = Arc::clone(&barrier);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                run(
                    &store,
                    date(TODAY),
                    institution_actor(institution),
                    employ(institution, person, &["YL-ZZ"]),
                )
                .await
            }));
        }
        let mut won = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => won += 1,
                // A loser that ran after the winner committed finds the person, whose one
                // item is taken, out of the pool: as if nobody (what an institution may
                // learn of a person it does not employ); one that read the pool with the
                // winner meets the database's one active holder.
                Err(UseCaseError::NotFound(Entity::Person)) => {}
                Err(UseCaseError::Conflict(Conflict::ItemHeld { .. })) => {}
                Err(other) => panic!("round {round}: unexpected outcome {other:?}"),
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one institution wins");
        let mut tx = store.begin().await.unwrap();
        let active: Vec<_> = tx
            .holdings_of(person)
            .await
            .unwrap()
            .into_iter()
            .filter(|h| h.state != ItemState::Released)
            .collect();
        assert_eq!(active.len(), 1, "round {round}");
    }
}

on_both_engines!(fifty_institutions_race_for_one_item);
