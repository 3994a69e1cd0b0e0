// Placeholder entry so the asset build always has one bundle; pages load their own entries.
export {};
