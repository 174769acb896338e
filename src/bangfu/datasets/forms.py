"""The upload form of department data: the file (checked like the registry's uploads), its kind and the data
period it covers."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from bangfu.datasets.models import DatasetKind
from bangfu.registry.forms import ImportUploadForm
from bangfu.registry.importing import write_upload


class DatasetUploadForm(ImportUploadForm):
    kind = forms.ChoiceField(label=_("数据类型"))
    period_start = forms.DateField(label=_("数据期间起"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("数据期间止"), widget=forms.DateInput(attrs={"type": "date"}))
    field_order = ("kind", "period_start", "period_end", "file", "dry_run")

    def __init__(self, *args: Any, kinds: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)  # noqa: S101 - declared above
        kind.choices = [(value, DatasetKind(value).label) for value in kinds]
        self.fields["file"].label = _("部门数据工作簿")

    def import_arguments(self, directory: Path) -> dict[str, Any]:
        """What ``import_dataset`` / ``start_dataset_import`` take from the valid form, the upload written
        into ``directory`` (the page and the API share it)."""
        upload = self.cleaned_data["file"]
        return {
            "kind": self.cleaned_data["kind"],
            "path": write_upload(upload, directory),
            "file_name": PurePath(upload.name).name,
            "period_start": self.cleaned_data["period_start"],
            "period_end": self.cleaned_data["period_end"],
            "dry_run": self.cleaned_data["dry_run"],
        }
