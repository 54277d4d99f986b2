from tests.qdrant_standin.fixtures import qdrant_standin  # noqa: F401  # re-exported fixture
