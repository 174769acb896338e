from tests.datasets.helpers import people

__all__ = ["people"]
