"""Tour section "layers": placeholder until the nn layers land (replaced by the nn work)."""

from rnnkit.tour.base import SectionResult, TourContext

TITLE = "Recurrent layers"


def run(ctx: TourContext) -> SectionResult:
    import torch
    torch.manual_seed(ctx.seed)
    return SectionResult(TITLE, rows=[{"status": "layers section pending"}])
