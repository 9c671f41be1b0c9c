"""A stand-in for torch in the nanoGPT fixture: only what train.py's config block calls."""


class cuda:
    @staticmethod
    def is_available():
        return False

    @staticmethod
    def is_bf16_supported():
        return False
