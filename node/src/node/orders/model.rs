//! Property test: random sequences of orders, steps, retries, duplicates, lost
//! answers, restarts and settlements across three centers, checked against an
//! independent reference model.
