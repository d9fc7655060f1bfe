FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEY=build-only python manage.py collectstatic --noinput -v 0
RUN useradd --create-home hrsaas && mkdir -p /app/media && chown hrsaas /app/media
USER hrsaas
EXPOSE 8000
CMD ["gunicorn", "hrsaas.wsgi", "-b", "0.0.0.0:8000", "-w", "3"]
