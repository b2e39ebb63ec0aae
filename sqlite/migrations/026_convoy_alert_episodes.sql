-- Convoy tracking alerts raised by the clock (a convoy stopped, silent or
-- behind its schedule) are raised once per episode, whichever server
-- sweeps first and whatever restarts happen: the episode names the
-- movement, the kind and when the episode began, and is unique among
-- them. A second raise is refused by the index, and the sweep takes
-- that refusal as "already raised".
CREATE UNIQUE INDEX alerts_convoy_episode ON alerts(episode) WHERE kind IN ('convoy_stopped', 'convoy_silent', 'convoy_behind');
