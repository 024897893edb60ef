"""The admin's forms of DynamoDB items: the version they loaded, and the writes they lost.

``DynamoFormMixin`` is mixed into whatever form the ModelAdmin builds:

- a change form carries the version of the item it displayed (a hidden
  ``_version`` input), and the save is conditioned on that version, not on
  the one the POST itself reads: a change made by someone else in between is
  a ``VersionConflict``, never overwritten;
- when the admin re-displays a form whose write DynamoDB refused
  (``write_error``), the refusal is a form error: for a conflict, every field
  whose stored value differs from the form's is marked with the stored
  value, and the hidden version becomes the current one, so that saving
  again replaces those values knowingly.

The widgets keep a datetime's or a time's microseconds, which a DynamoDB key
holds (Django's admin widgets drop them, and a key that lost them would be
another item).
"""

import copy
import datetime

from django import forms
from django.contrib.admin import widgets
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import NON_FIELD_ERRORS

from ..exceptions import ItemAlreadyExists, VersionConflict
from ..exceptions import ValidationError as DynamoValidationError
from ..storage.schema import schema_for

VERSION_FIELD = "_version"


class DynamoFormMixin:
    """Optimistic locking of a DynamoDB item's change form, and refused writes as errors."""

    # The error of the write this form's data met, when the admin displays it again.
    write_error = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, PreciseAdminSplitDateTime):
                # The hidden copy of a default ("initial-date_at") that has_changed reads.
                field.hidden_widget = PreciseSplitHiddenDateTime
        schema = schema_for(self._meta.model)
        self.key_names = [name for name, _value in schema.key_list(self.instance)]
        self.version_attname = schema.version.attname if schema.version else None
        # The item as the form loaded it: the instance's fields change when the form
        # validates (a copy has its own _state: Django's pickling copies it).
        self.stored = None if self.instance._state.adding else copy.copy(self.instance)
        if self.version_attname is None or self.stored is None or not self.fields:
            return  # nothing to write with a version: a new item, or a view-only form
        loaded = getattr(self.stored, self.version_attname)
        self.fields[VERSION_FIELD] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, min_value=0, initial=loaded
        )
        if self.write_error is not None and self.is_bound:
            # The form now shows the current item: saving again replaces this version.
            self.data = self.data.copy()
            self.data[self.add_prefix(VERSION_FIELD)] = loaded

    @property
    def version_input(self):
        """The hidden version input (the change form template renders it), or nothing."""
        return self[VERSION_FIELD] if VERSION_FIELD in self.fields else ""

    def _post_clean(self):
        super()._post_clean()
        if VERSION_FIELD in self._errors:
            del self._errors[VERSION_FIELD]
            self.add_error(None, "This form's version is not valid: reload the page.")
        elif self.cleaned_data.get(VERSION_FIELD) is not None:
            setattr(self.instance, self.version_attname, self.cleaned_data[VERSION_FIELD])
        if self.write_error is not None and not self._errors:
            self.report(self.write_error)

    def report(self, error):
        """A refused write as errors of this form."""
        name = self._meta.model._meta.verbose_name
        if isinstance(error, VersionConflict):
            self.add_error(
                None,
                f"This {name} was changed by someone else while you edited it: it is now at "
                f"version {error.current_version}. The fields whose stored value differs from "
                "yours say so below. Save again to replace the stored values with yours, or "
                "reload the page to start from them.",
            )
            for field_name in self.differing_from_stored():
                self.add_error(field_name, f"Stored now: {self.stored_display(field_name)}")
        elif isinstance(error, ItemAlreadyExists):
            self.add_error(
                None,
                f"Another {name} has this key ({', '.join(self.key_names)}): nothing was "
                "overwritten. Change the key and save again.",
            )
        elif isinstance(error, DynamoValidationError):
            for field_name, messages in error.message_dict.items():
                known = field_name in self.fields and field_name != NON_FIELD_ERRORS
                self.add_error(field_name if known else None, messages)
        else:
            self.add_error(None, str(error))

    def differing_from_stored(self):
        """The fields whose value in the form is not the stored item's (now the form's initial)."""
        return [
            name
            for name, field in self.fields.items()
            if name != VERSION_FIELD
            and field.has_changed(self.get_initial_for_field(field, name), self[name].data)
        ]

    def stored_display(self, field_name):
        """The stored value of a form field, as the admin displays values."""
        model_field = self._meta.model._meta.get_field(field_name)
        value = getattr(self.stored, model_field.name)
        return display_for_field(value, model_field, "(empty)")


class MicrosecondsMixin:
    """A time input that shows microseconds when a value has them (a key must keep them)."""

    supports_microseconds = True

    def __init__(self, attrs=None, format=None):
        super().__init__(attrs={"size": "15", **(attrs or {})}, format=format)

    def format_value(self, value):
        if isinstance(value, datetime.time) and value.microsecond and self.format is None:
            return value.strftime("%H:%M:%S.%f")
        return super().format_value(value)


class PreciseAdminTimeWidget(MicrosecondsMixin, widgets.AdminTimeWidget):
    """The admin's time widget, to the microsecond."""


class PreciseBaseTimeWidget(MicrosecondsMixin, widgets.BaseAdminTimeWidget):
    """The time half of ``PreciseAdminSplitDateTime``."""


class PreciseAdminSplitDateTime(widgets.AdminSplitDateTime):
    """The admin's date and time inputs, the time to the microsecond."""

    supports_microseconds = True

    def __init__(self, attrs=None):
        forms.MultiWidget.__init__(
            self, [widgets.BaseAdminDateWidget, PreciseBaseTimeWidget], attrs
        )


class PreciseSplitHiddenDateTime(forms.SplitHiddenDateTimeWidget):
    """The hidden date and time inputs of a datetime, the time to the microsecond."""

    supports_microseconds = True

    def __init__(self, attrs=None):
        super().__init__(attrs, time_format="%H:%M:%S.%f")
