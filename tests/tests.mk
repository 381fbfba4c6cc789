# tests: cmocka unit tests, integration tests, fuzz targets.
