"""Policy simulation (政策测算): a synthetic population's year of claims (``synth``), settled
under a policy and a reform (``run``), added up exactly in fen (``summary``, ``compare``) and
reported (``report``, ``report_html``). See docs/simulation.md."""
