package monitor

// EpisodeID makes an episode's identifier.
var EpisodeID = episodeID
