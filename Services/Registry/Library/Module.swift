// Placeholder so the package resolves; replaced by the service's real sources.
