"""Off-site copies: one small `Remote` interface and its folder, GCS and S3 implementations."""
